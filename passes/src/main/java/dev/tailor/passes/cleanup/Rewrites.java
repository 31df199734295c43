package dev.tailor.passes.cleanup;

import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;

/** Small rewiring helpers shared by the cleanup passes. */
final class Rewrites {
    private Rewrites() {}

    /**
     * Removes {@code node}, whose single used output {@code out} computes the same as {@code replacement}.
     * Graph outputs keep their names (they are the model's interface): if {@code out} is a graph output, the
     * replacement takes its name when that is safe, and otherwise nothing changes.
     *
     * @return whether the node was removed
     */
    static boolean bypass(Node node, Value out, Value replacement) {
        Graph g = node.graph();
        if (out.isGraphOutput()) {
            boolean renamable = replacement.producer() != null && replacement.graph() == g
                    && !replacement.isGraphOutput() && !replacement.isGraphInput() && !replacement.isConstant();
            if (!renamable) return false;
            String name = out.name();
            out.setName(name + "__bypassed");
            replacement.setName(name);
            if (replacement.type() == null) replacement.setType(out.type());
        }
        out.replaceAllUsesWith(replacement);
        for (Value o : node.outputs())
            if (o != null && (o.hasUses() || o.isGraphOutput())) return true; // other outputs still used
        g.remove(node);
        return true;
    }

    /** True if no node and no graph output uses any output of {@code node}. */
    static boolean unused(Node node) {
        for (Value o : node.outputs()) if (o != null && (o.hasUses() || o.isGraphOutput())) return false;
        return true;
    }
}
