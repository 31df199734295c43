package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One residual branch of a block: {@code stream + branch(norm(stream))} (pre-LN) or
 * {@code norm(stream + branch(stream))} (post-LN).
 *
 * <p>{@link #nodes()} holds every node that computes the branch and nothing else: the projections and what lies
 * between them, the shape computations only this branch uses, its norm, and the residual add itself. Values the
 * branch shares with others (attention masks, rotary tables) are not in it.
 */
public final class Sublayer {
    private final String id;
    private final SublayerKind kind;
    private final Block block;
    private final Node residual;
    private final Value streamIn;
    private final Value streamOut;
    private final Value branchIn;
    private final Value branchOut;
    private final Norm norm;
    private final Map<Role, Weight> weights;
    private final Attention attention;
    private final Ffn ffn;
    private final Set<Node> nodes;
    private final List<SideBranch> sideBranches;

    Sublayer(String id, SublayerKind kind, Block block, Node residual, Value streamIn, Value streamOut, Value branchIn,
             Value branchOut, Norm norm, Map<Role, Weight> weights, Attention attention, Ffn ffn, Set<Node> nodes,
             List<SideBranch> sideBranches) {
        this.id = id;
        this.kind = kind;
        this.block = block;
        this.residual = residual;
        this.streamIn = streamIn;
        this.streamOut = streamOut;
        this.branchIn = branchIn;
        this.branchOut = branchOut;
        this.norm = norm;
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        this.attention = attention;
        this.ffn = ffn;
        this.nodes = Collections.unmodifiableSet(nodes);
        this.sideBranches = List.copyOf(sideBranches);
    }

    /** {@code b3.attn}, {@code b3.xattn}, {@code b3.ffn}. */
    public String id() {
        return id;
    }

    public SublayerKind kind() {
        return kind;
    }

    public Block block() {
        return block;
    }

    /** The node that adds the branch to the stream: an {@code Add}, or a fused {@code Skip*LayerNormalization}. */
    public Node residual() {
        return residual;
    }

    /** The stream value the branch is added to. */
    public Value streamIn() {
        return streamIn;
    }

    /** The stream after this sublayer: the residual sum, or its post-norm. */
    public Value streamOut() {
        return streamOut;
    }

    /** What the branch computes from: the pre-norm's output, or the stream itself. */
    public Value branchIn() {
        return branchIn;
    }

    /** What the branch adds to the stream. */
    public Value branchOut() {
        return branchOut;
    }

    /** The norm that belongs to this sublayer (pre or post), or null. */
    public Norm norm() {
        return norm;
    }

    /** Weights by role, in role order. */
    public Map<Role, Weight> weights() {
        return weights;
    }

    public Weight weight(Role role) {
        return weights.get(role);
    }

    /** Attention details, or null for an FFN. */
    public Attention attention() {
        return attention;
    }

    /** FFN details, or null for attention. */
    public Ffn ffn() {
        return ffn;
    }

    public Set<Node> nodes() {
        return nodes;
    }

    /** LoRA updates and bottleneck adapters on this sublayer, in graph order (their nodes are in {@link #nodes()}). */
    public List<SideBranch> sideBranches() {
        return sideBranches;
    }

    /** Elements of the weights, biases and norm parameters this sublayer owns, its side branches' included. */
    public long parameterCount() {
        long n = norm == null ? 0 : norm.parameterCount();
        for (SideBranch b : sideBranches) n += b.parameters();
        for (Weight w : weights.values()) n += w.parameterCount();
        if (attention != null && attention.positionBias() != null) n += attention.positionBias().elementCount();
        return n;
    }

    /** Width of the stream this sublayer reads and writes. */
    public long hiddenSize() {
        Weight w = weights.containsKey(Role.Q) ? weights.get(Role.Q) : weights.get(Role.UP);
        return w == null ? -1 : w.in();
    }

    /** One line: {@code attn(12x32, causal)}, {@code ffn(176, swiglu)}. */
    public String describe() {
        return Describe.sublayer(this);
    }

    @Override
    public String toString() {
        return id;
    }
}
