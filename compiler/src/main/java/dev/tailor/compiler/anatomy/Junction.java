package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.Set;

/**
 * A residual add found in the graph: {@code node} adds {@code branch} (computed from {@code skip}) to
 * {@code skip}. For a fused {@code Skip*LayerNormalization}, {@code sum} is output 3 (null when absent) and
 * {@code normed} output 0.
 */
final class Junction {
    final Node node;
    final Value skip;
    final Value branch;
    final Value sum;
    final Value normed;
    final Set<Node> region;
    Junction prev;
    Junction next;
    /** The stream value after this junction (the sum, or its post-norm's output). */
    Value after;
    Norm postNorm;
    Finder.Draft draft;

    Junction(Node node, Value skip, Value branch, Value sum, Value normed, Set<Node> region) {
        this.node = node;
        this.skip = skip;
        this.branch = branch;
        this.sum = sum;
        this.normed = normed;
        this.region = region;
    }

    boolean fusedNorm() {
        return normed != null;
    }

    @Override
    public String toString() {
        return GraphView.label(node);
    }
}
