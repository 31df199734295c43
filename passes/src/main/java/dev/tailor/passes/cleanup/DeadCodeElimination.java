package dev.tailor.passes.cleanup;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Function;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassResult;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes what cannot affect the model's outputs: nodes whose outputs nothing uses (in subgraphs too),
 * initializers nothing reads, functions nothing calls, and imports of operator sets no node uses.
 */
@PassDef(name = "dce", summary = "remove unused nodes, initializers, functions and opset imports")
public final class DeadCodeElimination implements Pass {

    @Override
    public PassResult run(Model model, PassContext context) {
        int[] nodes = {0};
        int[] initializers = {0};
        if (model.graph() != null) sweep(model.graph(), nodes, initializers);
        for (Function f : model.functions()) sweep(f.body(), nodes, initializers);
        int functions = removeUncalledFunctions(model);
        int opsets = removeUnusedOpsets(model);
        return PassResult.changed(nodes[0] + initializers[0] + functions + opsets > 0)
                .metric("nodes_removed", nodes[0]).metric("initializers_removed", initializers[0])
                .metric("functions_removed", functions).metric("opsets_removed", opsets);
    }

    /** Walks backwards so that a chain of dead nodes goes in one sweep. */
    private void sweep(Graph g, int[] nodes, int[] initializers) {
        List<Node> order = g.nodeList();
        for (int i = order.size() - 1; i >= 0; i--) {
            Node n = order.get(i);
            if (!n.outputs().isEmpty() && Rewrites.unused(n)) {
                g.remove(n);
                nodes[0]++;
            } else {
                for (Graph sub : n.subgraphs()) sweep(sub, nodes, initializers);
            }
        }
        for (Value v : List.copyOf(g.initializers())) {
            if (!v.hasUses() && !v.isGraphOutput() && !v.isGraphInput()) {
                g.removeInitializer(v);
                initializers[0]++;
            }
        }
    }

    private static int removeUncalledFunctions(Model model) {
        if (model.functions().isEmpty()) return 0;
        Set<String> called = new HashSet<>();
        ArrayDeque<Graph> work = new ArrayDeque<>();
        if (model.graph() != null) work.add(model.graph());
        while (!work.isEmpty()) {
            Graph g = work.poll();
            for (Node n : g.nodes()) {
                String key = n.domainName() + "::" + n.opType() + "::" + (n.overload() == null ? "" : n.overload());
                if (called.add(key)) {
                    for (Function f : model.functions()) if (key.equals(key(f))) work.add(f.body());
                }
                for (Attribute a : n.attributes()) work.addAll(a.graphs());
            }
        }
        int before = model.functions().size();
        model.functions().removeIf(f -> !called.contains(key(f)));
        return before - model.functions().size();
    }

    private static String key(Function f) {
        String d = f.domain() == null || f.domain().equals("ai.onnx") ? "" : f.domain();
        return d + "::" + f.name() + "::" + (f.overload() == null ? "" : f.overload());
    }

    private static int removeUnusedOpsets(Model model) {
        Set<String> used = new HashSet<>();
        ArrayDeque<Graph> work = new ArrayDeque<>();
        if (model.graph() != null) work.add(model.graph());
        for (Function f : model.functions()) {
            work.add(f.body());
            used.add(f.domain() == null ? "" : f.domain());
        }
        while (!work.isEmpty()) {
            Graph g = work.poll();
            for (Node n : g.nodes()) {
                used.add(n.domainName());
                for (Attribute a : n.attributes()) work.addAll(a.graphs());
            }
        }
        int before = model.opsets().size();
        // The default domain stays: it defines the model's opset version even when no node uses it.
        model.opsets().removeIf((OpsetImport o) -> !o.domainName().isEmpty() && !o.domainName().equals("ai.onnx")
                && !used.contains(o.domainName()));
        return before - model.opsets().size();
    }
}
