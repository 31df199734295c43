package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.List;

/**
 * A piece of the graph the pass may replace by a quantized twin: a matrix product ({@link Site}) or a lookup in an
 * embedding table ({@link TableLookup}). Gating, sensitivity and the final commit see only this.
 */
interface Candidate {
    /** The node quantized (the product, the lookup). */
    Node node();

    /** The node's name, or its op and output when it has none. */
    default String name() {
        String nm = node().name();
        return nm != null && !nm.isEmpty() ? nm : node().opType() + ":" + node().output(0).name();
    }

    /** The value the rest of the graph reads. */
    Value output();

    /** The nodes a committed quantized twin replaces, last first. */
    List<Node> nodes();
}
