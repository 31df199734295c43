package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Raises a model's ONNX opset to 21 (for the blocked DequantizeLinear) when that keeps its meaning. From opset 13
 * on, the operators whose signature changed up to 21 are few: the Reduce* family (except ReduceSum, already) takes
 * {@code axes} as an input from 18, and Split wants {@code num_outputs} when no {@code split} input is given. Those
 * are rewritten; every other change up to 21 only adds types or optional attributes with the old behaviour as
 * default, except GroupNormalization (18, 21), GridSample (20) and DFT (20), whose presence refuses the upgrade,
 * as does any opset below 13 (Split, Squeeze, Unsqueeze and more changed at 13).
 */
final class OpsetUpgrade {
    private static final Set<String> REDUCE_AXES_INPUT_AT_18 = Set.of("ReduceMean", "ReduceMax", "ReduceMin",
            "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");
    private static final Set<String> REFUSED = Set.of("GroupNormalization", "GridSample", "DFT");

    private OpsetUpgrade() {}

    /** Upgrades in place and returns null, or returns why it cannot (leaving the model unchanged). */
    static String to21(Model model) {
        long v = model.opsetVersion("");
        if (v >= 21) return null;
        if (v < 13) return "upgrading from below opset 13 is not supported";
        List<Graph> graphs = new ArrayList<>();
        collect(model.graph(), graphs);
        for (Graph g : graphs)
            for (Node n : g.nodes())
                if (n.domainName().isEmpty() && REFUSED.contains(n.opType()))
                    return n + " changed meaning between opset " + v + " and 21";
        for (Graph g : graphs) {
            FreshNames names = FreshNames.of(g);
            for (Node n : g.nodeList()) {
                if (!n.domainName().isEmpty()) continue;
                if (v < 18 && REDUCE_AXES_INPUT_AT_18.contains(n.opType())) {
                    Attribute axes = n.attribute("axes");
                    if (axes != null) {
                        n.removeAttribute("axes");
                        long[] a = axes.asInts();
                        Value c = g.addInitializer(Tensor.ofLongs(names.fresh((n.name() == null ? n.opType() : n.name())
                                + "_axes"), new long[] {a.length}, a));
                        n.addInput(c);
                    }
                }
                if (v < 18 && n.opType().equals("Split") && n.input(1) == null && n.attribute("num_outputs") == null)
                    n.setAttribute(Attribute.of("num_outputs", (long) n.outputs().size()));
            }
        }
        List<OpsetImport> opsets = model.opsets();
        for (int i = 0; i < opsets.size(); i++) {
            OpsetImport o = opsets.get(i);
            if (o.domainName().isEmpty() || "ai.onnx".equals(o.domain())) opsets.set(i, new OpsetImport(o.domain(), 21L));
        }
        if (model.irVersion() != null && model.irVersion() < 10) model.setIrVersion(10L);
        return null;
    }

    private static void collect(Graph g, List<Graph> out) {
        out.add(g);
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) collect(sub, out);
    }

}
