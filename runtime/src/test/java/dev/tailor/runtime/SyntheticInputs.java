package dev.tailor.runtime;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Seeded inputs for a model's graph inputs, for tests that compare two models on the same data: symbolic
 * dimensions become {@code batch} (the first) or {@code seq}; ids are small non-negative integers within the
 * embedding tables they index, masks ones,
 * floats standard normal.
 */
final class SyntheticInputs {
    private SyntheticInputs() {}

    /**
     * A consistent size for a symbolic dimension: batch dims get {@code batch}, a KV cache's past length 4, a
     * total length (past + new) {@code seq + 4}, other dims {@code seq}.
     */
    private static long size(String param, int axis, int batch, int seq) {
        String p = param == null ? "" : param.toLowerCase();
        if (p.contains("batch") || (p.isEmpty() && axis == 0)) return batch;
        if (p.contains("past")) return 4;
        if (p.contains("total")) return seq + 4;
        return seq;
    }

    /** Ids stay below the row count of every embedding table (Gather data) they index; else below 100. */
    private static int idBound(Value v) {
        long bound = 100;
        for (dev.tailor.compiler.ir.Use u : v.uses()) {
            dev.tailor.compiler.ir.Node n = u.node();
            if (n.opType().equals("Gather") && u.index() == 1 && n.input(0).initializer() != null)
                bound = Math.min(bound, n.input(0).initializer().dims()[0]);
        }
        return (int) bound;
    }

    static Map<String, Tensor> forModel(Model m, int batch, int seq, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Value v : m.graph().inputs()) {
            if (v.initializer() != null) continue;
            Type.Tensor t = (Type.Tensor) v.type();
            long[] dims = new long[t.shape().rank()];
            for (int i = 0; i < dims.length; i++) {
                Dim d = t.shape().dim(i);
                dims[i] = d.isKnown() ? d.value() : size(d.param(), i, batch, seq);
            }
            int n = Math.toIntExact(Tensor.elementCount(dims));
            boolean mask = v.name().contains("mask");
            if (t.elementType() == DataType.INT64) {
                long[] ids = new long[n];
                int bound = idBound(v);
                for (int i = 0; i < n; i++) ids[i] = mask ? 1 : r.nextInt(bound);
                out.put(v.name(), Tensor.ofLongs(v.name(), dims, ids));
            } else if (t.elementType() == DataType.FLOAT) {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = mask ? 1 : (float) r.nextGaussian();
                out.put(v.name(), Tensor.ofFloats(v.name(), dims, f));
            } else if (t.elementType() == DataType.BOOL) {
                ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) b.put((byte) 1);
                out.put(v.name(), Tensor.of(v.name(), DataType.BOOL, dims, new HeapData(b.flip())));
            } else {
                throw new IllegalArgumentException("no synthetic data for input " + v.name() + " of " + t.elementType());
            }
        }
        return out;
    }
}
