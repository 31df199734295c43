package dev.tailor.compiler.ir;

import java.util.HashSet;
import java.util.Set;

/**
 * Names not yet used in a graph (inputs, initializers, node names and node outputs), for passes that add values
 * and nodes. Each name handed out is taken from then on.
 */
public final class FreshNames {
    private final Set<String> taken = new HashSet<>();

    private FreshNames() {}

    /** The names {@code graph} uses now. */
    public static FreshNames of(Graph graph) {
        FreshNames f = new FreshNames();
        for (Value v : graph.inputs()) f.taken.add(v.name());
        for (Value v : graph.initializers()) f.taken.add(v.name());
        for (Node n : graph.nodes()) {
            if (n.name() != null) f.taken.add(n.name());
            for (Value o : n.outputs()) if (o != null) f.taken.add(o.name());
        }
        return f;
    }

    /** {@code base}, or {@code base_N} for the first N that is free. */
    public String fresh(String base) {
        String name = base;
        for (int i = 1; taken.contains(name); i++) name = base + "_" + i;
        taken.add(name);
        return name;
    }
}
