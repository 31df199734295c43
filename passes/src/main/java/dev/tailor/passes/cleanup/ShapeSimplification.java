package dev.tailor.passes.cleanup;

import dev.tailor.compiler.analysis.ShapeInference;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.HeapData;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Replaces shape computations whose results are known with constants. Exporters compute reshape targets at run
 * time (Shape → Gather → Unsqueeze → Concat → Reshape); where type and shape inference knows every element (the
 * dimensions involved are static), the value becomes an initializer and the chain that computed it is left for
 * {@code dce}. Values that depend on symbolic dimensions (batch, sequence) stay computed.
 */
@PassDef(name = "shapes", summary = "replace shape computations over known dimensions with constants")
public final class ShapeSimplification implements Pass {

    @Override
    public PassResult run(Model model, PassContext context) {
        Graph g = model.graph();
        if (g == null) return PassResult.unchanged();
        ShapeInference.Result inferred = ShapeInference.analyze(model);
        FreshNames taken = FreshNames.of(g);

        int replaced = 0;
        for (Node n : g.nodeList()) {
            for (Value out : n.outputs()) {
                if (out == null || out.isGraphOutput() || !out.hasUses() || !feedsUnknown(out, inferred))
                    continue;
                long[] value = inferred.constantValue(out);
                if (value == null) continue;
                Tensor t = tensor(taken.fresh(out.name() + "_known"), inferred.type(out), value);
                if (t == null) continue;
                Value c = g.addInitializer(t);
                c.setType(inferred.type(out));
                out.replaceAllUsesWith(c);
                replaced++;
            }
        }
        return PassResult.changed(replaced > 0).metric("values_replaced", replaced);
    }

    /** True if some user of {@code v} computes something that is not itself known (the edge of a known chain). */
    private static boolean feedsUnknown(Value v, ShapeInference.Result inferred) {
        for (var use : v.uses()) {
            for (Value o : use.node().outputs())
                if (o != null && inferred.constantValue(o) == null) return true;
        }
        return false;
    }

    /** The known elements as a tensor of the value's inferred type (integer or bool, rank 0 or 1), or null. */
    private static Tensor tensor(String name, Type type, long[] value) {
        if (!(type instanceof Type.Tensor t) || t.elementType() == null || t.shape() == null) return null;
        Shape s = t.shape();
        long[] dims;
        if (s.rank() == 0 && value.length == 1) dims = new long[0];
        else if (s.rank() == 1) dims = new long[] {value.length};
        else return null;
        DataType dt = t.elementType();
        ByteBuffer b;
        switch (dt) {
            case INT64 -> {
                b = ByteBuffer.allocate(8 * value.length).order(ByteOrder.LITTLE_ENDIAN);
                for (long v : value) b.putLong(v);
            }
            case INT32 -> {
                b = ByteBuffer.allocate(4 * value.length).order(ByteOrder.LITTLE_ENDIAN);
                for (long v : value) b.putInt((int) v);
            }
            case BOOL, UINT8, INT8 -> {
                b = ByteBuffer.allocate(value.length).order(ByteOrder.LITTLE_ENDIAN);
                for (long v : value) b.put((byte) v);
            }
            default -> {
                return null;
            }
        }
        return Tensor.of(name, dt, dims, new HeapData(b.flip()));
    }


}
