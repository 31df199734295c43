package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.ModelCopy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A copy of the model with every candidate's branch multiplied by a scalar gate fed as a graph input
 * ({@code stream + gate_i * branch_i}: 1 keeps the sublayer, 0 removes it), so that one prepared model computes
 * any set of removals. The model being compiled is not touched.
 */
final class GatedModel {
    private final Model model;
    private final List<Residual> residuals;
    private final List<String> gates = new ArrayList<>();

    GatedModel(Model original, List<Residual> residuals) {
        this.residuals = List.copyOf(residuals);
        this.model = ModelCopy.of(original);
        Graph g = model.graph();
        Map<String, Value> values = Residual.values(g);
        Set<String> taken = new HashSet<>(values.keySet());
        for (Residual r : residuals) {
            Node add = r.add(values);
            Value branch = add.input(r.branch());
            String name = unique(taken, "tailor_prune_gate_" + r.id().replace('.', '_'));
            Value factor = g.addInput(new Value(name, new Type.Tensor(DataType.FLOAT, Shape.of())));
            DataType dt = branch.type() instanceof Type.Tensor t ? t.elementType() : null;
            if (dt != null && dt != DataType.FLOAT) {
                Node cast = new Node("Cast", List.of(factor), unique(taken, name + "_cast"));
                cast.setAttribute(Attribute.of("to", (long) dt.code()));
                g.insertBefore(add, cast);
                factor = cast.output(0);
            }
            Node mul = new Node("Mul", List.of(branch, factor), unique(taken, name + "_mul"));
            g.insertBefore(add, mul);
            add.setInput(r.branch(), mul.output(0));
            gates.add(name);
        }
    }

    private static String unique(Set<String> taken, String base) {
        String name = base;
        for (int i = 1; taken.contains(name); i++) name = base + "_" + i;
        taken.add(name);
        return name;
    }

    /** The gated model; callers copy it before changing it. */
    Model model() {
        return model;
    }

    /** The gates' input names, one per candidate, in candidate order. */
    List<String> gates() {
        return gates;
    }

    List<Residual> residuals() {
        return residuals;
    }

    /** {@code batch} with the gates for {@code removed} added. */
    Map<String, Tensor> feed(Map<String, Tensor> batch, boolean[] removed) {
        Map<String, Tensor> m = new LinkedHashMap<>(batch);
        for (int i = 0; i < gates.size(); i++)
            m.put(gates.get(i), Tensor.ofFloats(gates.get(i), new long[0], removed[i] ? 0f : 1f));
        return m;
    }
}
