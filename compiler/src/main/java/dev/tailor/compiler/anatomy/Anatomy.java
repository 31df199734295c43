package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.analysis.ShapeInference;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The transformer inside a model: its residual streams, the blocks on each, and per block the sublayers
 * (self-attention, cross-attention, FFN) with their norms, weights by role, head counts and hidden sizes; the
 * embeddings that feed each stream and the final norms and heads that read its end.
 *
 * <p>Anatomy reads what exporters write, fused or not: the PyTorch exporter's written-out attention (MatMul,
 * Softmax, MatMul with reshapes and transposes between), LayerNorm and RMSNorm written out, GELU written out with
 * Erf or Tanh, SwiGLU, rotary embeddings, grouped-query attention, KV-cache inputs and outputs, fused QKV
 * projections split by Split or Slice, Gemm-based linears; ONNX's LayerNormalization and Attention; and ONNX
 * Runtime's fused operators (Attention, MultiHeadAttention, GroupQueryAttention, SkipLayerNormalization,
 * SimplifiedLayerNormalization, SkipSimplifiedLayerNormalization, FastGelu, BiasGelu, RotaryEmbedding).
 *
 * <p>Nothing is guessed from names. A residual connection is an {@code Add} (or a fused
 * {@code Skip*LayerNormalization}) whose one operand is computed, through at least one weight projection, from
 * the other. What anatomy cannot place is listed in {@link #unplaced()} with the node and the condition that
 * failed, and left out of the blocks.
 *
 * <p>Every part has a stable printable id that passes use in their options: blocks {@code b0, b1, …} (numbered
 * across streams in graph order), sublayers {@code b3.attn}, {@code b3.xattn}, {@code b3.ffn}, weights
 * {@code b3.attn.q|k|v|o} and {@code b3.ffn.up|gate|down}; {@link SublayerPattern} selects them with {@code *}.
 * The anatomy does not change the model; it holds references into it, valid until the model is changed.
 */
public final class Anatomy {
    private final List<Stream> streams;
    private final List<Block> blocks;
    private final List<Unplaced> unplaced;
    private final Map<String, Sublayer> sublayers = new LinkedHashMap<>();
    private final Map<String, Weight> weights = new LinkedHashMap<>();

    private Anatomy(List<Stream> streams, List<Unplaced> unplaced) {
        this.streams = List.copyOf(streams);
        List<Block> all = new ArrayList<>();
        for (Stream s : streams) all.addAll(s.blocks());
        all.sort((a, b) -> Integer.compare(a.index(), b.index()));
        this.blocks = List.copyOf(all);
        this.unplaced = List.copyOf(unplaced);
        for (Block b : blocks)
            for (Sublayer s : b.sublayers()) {
                sublayers.put(s.id(), s);
                for (Weight w : s.weights().values()) weights.put(w.id(), w);
            }
    }

    /** Reads the anatomy of {@code model}'s main graph; never changes the model. */
    public static Anatomy of(Model model) {
        Finder f = new Finder(model);
        f.findJunctions();
        List<List<Junction>> chains = f.chains();
        for (List<Junction> chain : chains) for (Junction j : chain) f.classify(j);
        return new Assembly(f, chains).build();
    }

    /**
     * Every normalization of {@code model}'s main graph in graph order, fused or written out, whether or not it sits
     * in a placed block (its placement is then {@link Norm.Placement#PRE}). Reads only; never changes the model.
     */
    public static List<Norm> norms(Model model) {
        return norms(model, ShapeInference.analyze(model));
    }

    /** As {@link #norms(Model)}, with {@code shapes} inferred for the model as it is now (a caller that has them). */
    public static List<Norm> norms(Model model, ShapeInference.Result shapes) {
        return new Norms(new GraphView(model, shapes)).all;
    }

    static Anatomy create(List<Stream> streams, List<Unplaced> unplaced) {
        return new Anatomy(streams, unplaced);
    }

    public List<Stream> streams() {
        return streams;
    }

    /** All blocks, in id order. */
    public List<Block> blocks() {
        return blocks;
    }

    /** All sublayers, in id order. */
    public List<Sublayer> sublayers() {
        return List.copyOf(sublayers.values());
    }

    /** All weights by role, in id order. */
    public List<Weight> weights() {
        return List.copyOf(weights.values());
    }

    /** What could not be placed, each with its node and the condition that failed. */
    public List<Unplaced> unplaced() {
        return unplaced;
    }

    /** True when at least one block was found. */
    public boolean isTransformer() {
        return !blocks.isEmpty();
    }

    /** The block {@code b3}, or null. */
    public Block block(String id) {
        for (Block b : blocks) if (b.id().equals(id)) return b;
        return null;
    }

    /** The sublayer {@code b3.attn}, or null. */
    public Sublayer sublayer(String id) {
        return sublayers.get(id);
    }

    /** The weight {@code b3.attn.q}, or null. */
    public Weight weight(String id) {
        return weights.get(id);
    }

    /** Sublayers whose ids match (a two-segment pattern such as {@code *.ffn}). */
    public List<Sublayer> sublayers(SublayerPattern p) {
        List<Sublayer> out = new ArrayList<>();
        for (Sublayer s : sublayers.values()) if (p.matches(s.id())) out.add(s);
        return out;
    }

    /** Weights whose ids match (a three-segment pattern such as {@code *.ffn.down}). */
    public List<Weight> weights(SublayerPattern p) {
        List<Weight> out = new ArrayList<>();
        for (Weight w : weights.values()) if (p.matches(w.id())) out.add(w);
        return out;
    }

    /** Blocks whose ids match (a one-segment pattern such as {@code b1*}). */
    public List<Block> blocks(SublayerPattern p) {
        List<Block> out = new ArrayList<>();
        for (Block b : blocks) if (p.matches(b.id())) out.add(b);
        return out;
    }

    /**
     * For passes that need blocks: returns this anatomy when it has some, else throws
     * {@link AnatomyException} with every unplaced finding.
     */
    public Anatomy requireBlocks() {
        if (!blocks.isEmpty()) return this;
        throw new AnatomyException("no transformer blocks found", unplaced);
    }

    /** For passes addressing ids: the matching sublayers, or {@link AnatomyException} when none match. */
    public List<Sublayer> requireSublayers(SublayerPattern p) {
        List<Sublayer> out = sublayers(p);
        if (out.isEmpty())
            throw new AnatomyException("no sublayer matches '" + p + "'" + (blocks.isEmpty() ? "" : " (the model has "
                    + blocks.get(0).id() + ".." + blocks.get(blocks.size() - 1).id() + ")"), unplaced);
        return out;
    }

    /** The sublayer a node belongs to, or null (residual adds and norms count for their sublayer). */
    public Sublayer sublayerOf(Node n) {
        for (Sublayer s : sublayers.values()) if (s.nodes().contains(n)) return s;
        return null;
    }

    /** A multi-line summary: one line per block, then anything unplaced. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Stream s : streams) {
            b.append(s.name()).append(": ").append(s.blocks().size()).append(" blocks, hidden ").append(s.hiddenSize())
                    .append(", ").append(s.normPlacement()).append("-norm\n");
            for (Block k : s.blocks()) {
                b.append("  ").append(k.id());
                for (Sublayer x : k.sublayers()) b.append(' ').append(Describe.sublayer(x));
                b.append('\n');
            }
        }
        for (Unplaced u : unplaced) b.append("unplaced: ").append(u).append('\n');
        return b.toString();
    }
}
