package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * A residual stream: the chain of residual adds one stack of blocks writes to, with what feeds it (embeddings and
 * their norm) and what reads its end (the final norm and the heads). An encoder–decoder model has two.
 */
public final class Stream {
    private final int index;
    String name;
    Value input;
    Value output;
    long hiddenSize = -1;
    final List<Block> blocks = new ArrayList<>();
    final List<Embedding> embeddings = new ArrayList<>();
    Norm embeddingNorm;
    Norm finalNorm;
    final List<Head> heads = new ArrayList<>();
    Set<Node> embeddingNodes = Set.of();

    Stream(int index) {
        this.index = index;
    }

    public int index() {
        return index;
    }

    /**
     * {@code encoder} (bidirectional self-attention, or its output feeds another stream's cross-attention),
     * {@code decoder} (causal self-attention, or it has cross-attention), or {@code stream} when neither is known.
     */
    public String name() {
        return name;
    }

    /** The first value of the stream: the embeddings (after their norm), or a graph input. */
    public Value input() {
        return input;
    }

    /** The last value of the stream, before the final norm. */
    public Value output() {
        return output;
    }

    /** Width of the stream, or -1 when unknown. */
    public long hiddenSize() {
        return hiddenSize;
    }

    public List<Block> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    public List<Embedding> embeddings() {
        return Collections.unmodifiableList(embeddings);
    }

    /** A norm on the embeddings before the first block (BERT), or null. */
    public Norm embeddingNorm() {
        return embeddingNorm;
    }

    /** A norm on the stream after the last block (pre-LN models), or null. */
    public Norm finalNorm() {
        return finalNorm;
    }

    public List<Head> heads() {
        return Collections.unmodifiableList(heads);
    }

    /** Nodes that compute the embeddings (lookups, position ids, patch convolution, their norm). */
    public Set<Node> embeddingNodes() {
        return Collections.unmodifiableSet(embeddingNodes);
    }

    /**
     * {@code pre} or {@code post} when every sublayer's norm has that placement, {@code mixed}, or {@code none}.
     * A sublayer without a norm of its own does not count when others have one (a post-LN Macaron front FFN is
     * normalized by the norm before it).
     */
    public String normPlacement() {
        String p = null;
        boolean anyNorm = blocks.stream().flatMap(b -> b.sublayers().stream()).anyMatch(s -> s.norm() != null);
        for (Block b : blocks)
            for (Sublayer s : b.sublayers()) {
                if (anyNorm && s.norm() == null) continue;
                String q = s.norm() == null ? "none" : s.norm().placement().id();
                if (p == null) p = q;
                else if (!p.equals(q)) return "mixed";
            }
        return p == null ? "none" : p;
    }

    @Override
    public String toString() {
        return name + "(" + blocks.size() + " blocks)";
    }
}
