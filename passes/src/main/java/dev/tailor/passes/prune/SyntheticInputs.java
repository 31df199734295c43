package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Inputs for scoring when no calibration data is given (passes cannot see the runtime's data sources): from each
 * graph input's type, symbolic dimensions set to {@code batch} (the first axis) or {@code sequence} (the others);
 * inputs named like masks all ones; integer inputs read by a {@code Gather} as indices drawn below that table's
 * first dimension (token, position and type ids stay in range), other integers 0; floats standard normal.
 */
public final class SyntheticInputs {
    private SyntheticInputs() {}

    public static List<Map<String, Tensor>> make(Graph g, int batches, int batch, int sequence, long seed) {
        Random rnd = new Random(seed);
        List<Map<String, Tensor>> out = new ArrayList<>();
        for (int k = 0; k < batches; k++) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (Value v : g.inputs()) {
                if (v.isConstant()) continue;
                if (!(v.type() instanceof Type.Tensor t) || t.elementType() == null)
                    throw new IllegalArgumentException("input '" + v.name() + "' is not a tensor of known type");
                m.put(v.name(), tensor(v, t, batch, sequence, rnd));
            }
            out.add(m);
        }
        return out;
    }

    private static Tensor tensor(Value v, Type.Tensor t, int batch, int sequence, Random rnd) {
        Shape s = t.shape();
        int rank = s == null ? 2 : s.rank();
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            Dim d = s == null ? Dim.unknown() : s.dim(i);
            dims[i] = d.isKnown() ? d.value() : i == 0 ? batch : sequence;
        }
        int n = Math.toIntExact(Tensor.elementCount(dims));
        boolean mask = v.name().toLowerCase(Locale.ROOT).contains("mask");
        DataType dt = t.elementType();
        if (dt == DataType.FLOAT) {
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = mask ? 1f : (float) rnd.nextGaussian();
            return Tensor.ofFloats(v.name(), dims, f);
        }
        long bound = mask ? 0 : gatherBound(v);
        long[] x = new long[n];
        for (int i = 0; i < n; i++) x[i] = mask ? 1 : bound > 1 ? (long) (rnd.nextDouble() * bound) : 0;
        switch (dt) {
            case INT64:
                return Tensor.ofLongs(v.name(), dims, x);
            case INT32: {
                ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
                for (long e : x) b.putInt((int) e);
                return Tensor.of(v.name(), dt, dims, new HeapData(b.array()));
            }
            case BOOL: {
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) b[i] = (byte) (mask ? 1 : x[i] & 1);
                return Tensor.of(v.name(), dt, dims, new HeapData(b));
            }
            default:
                throw new IllegalArgumentException("no synthetic data for input '" + v.name() + "' of type " + dt
                        + "; give calibration data");
        }
    }

    /** The smallest first dimension of the constant tables a Gather indexes with {@code v}, or 0. */
    private static long gatherBound(Value v) {
        long bound = 0;
        for (Use u : v.uses()) {
            Node n = u.node();
            if (n.opType().equals("Gather") && u.index() == 1 && n.input(0).isConstant()
                    && n.input(0).initializer() != null && n.input(0).initializer().rank() > 0) {
                long d = n.input(0).initializer().dims()[0];
                bound = bound == 0 ? d : Math.min(bound, d);
            }
        }
        return bound;
    }
}
