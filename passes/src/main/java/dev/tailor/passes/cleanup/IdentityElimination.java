package dev.tailor.passes.cleanup;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassResult;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Removes operators that pass their input through unchanged: Identity, Dropout at inference, Transpose with
 * the identity permutation, Cast to the type the input already has, and Reshape to the shape the input already
 * has. Graph outputs keep their names.
 */
@PassDef(name = "identity", summary = "remove no-op operators (Identity, inference Dropout, identity Transpose/Cast/Reshape)")
public final class IdentityElimination implements Pass {

    @Override
    public PassResult run(Model model, PassContext context) {
        Map<String, Integer> removed = new TreeMap<>();
        if (model.graph() != null) sweep(model.graph(), removed);
        int total = removed.values().stream().mapToInt(Integer::intValue).sum();
        PassResult r = PassResult.changed(total > 0).metric("nodes_removed", total);
        removed.forEach((op, n) -> r.metric("removed_" + op, n));
        return r;
    }

    private void sweep(Graph g, Map<String, Integer> removed) {
        for (Node n : g.nodes()) {
            for (Graph sub : n.subgraphs()) sweep(sub, removed);
            if (!n.domainName().isEmpty() || n.inputs().isEmpty() || n.input(0) == null || n.outputs().isEmpty())
                continue;
            Value out = n.output(0);
            if (out == null) continue;
            if (isNoOp(n) && Rewrites.bypass(n, out, n.input(0))) removed.merge(n.opType(), 1, Integer::sum);
        }
    }

    static boolean isNoOp(Node n) {
        Value in = n.input(0);
        return switch (n.opType()) {
            case "Identity" -> true;
            case "Dropout" -> inferenceDropout(n);
            case "Transpose" -> identityPermutation(n, in);
            case "Cast" -> {
                Attribute to = n.attribute("to");
                yield to != null && in.type() instanceof Type.Tensor t && t.elementType() != null
                        && t.elementType().code() == to.asInt() && n.attribute("saturate") == null;
            }
            case "Reshape" -> sameStaticShape(n, in);
            default -> false;
        };
    }

    /** Dropout without training mode (absent or a constant false) and with its mask unused. */
    private static boolean inferenceDropout(Node n) {
        if (n.outputs().size() > 1 && n.output(1) != null && (n.output(1).hasUses() || n.output(1).isGraphOutput()))
            return false;
        Value training = n.input(2);
        if (training == null) return true;
        Tensor t = training.initializer();
        if (t == null || t.elementCount() != 1 || t.data() == null) return false;
        return t.bytes().get(0) == 0;
    }

    private static boolean identityPermutation(Node n, Value in) {
        Attribute perm = n.attribute("perm");
        if (perm == null) {
            // Default reverses the axes: a no-op only for rank 0 or 1.
            return in.type() instanceof Type.Tensor t && t.shape() != null && t.shape().rank() <= 1;
        }
        long[] p = perm.asInts();
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    /** Reshape whose constant target equals the input's fully known static shape. */
    private static boolean sameStaticShape(Node n, Value in) {
        Value shape = n.input(1);
        if (shape == null || shape.initializer() == null || !(in.type() instanceof Type.Tensor t)) return false;
        Shape s = t.shape();
        if (s == null || !s.isStatic()) return false;
        Tensor target = shape.initializer();
        if (target.dataType() != dev.tailor.compiler.ir.DataType.INT64) return false;
        long[] want = target.toLongs();
        long[] have = new long[s.rank()];
        for (int i = 0; i < have.length; i++) have[i] = s.dim(i).value();
        return Arrays.equals(want, have);
    }
}
