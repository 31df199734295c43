package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.CalibrationData;
import dev.tailor.compiler.pass.PassContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Data and fidelity for the pass's measurements: the batches to run (the context's calibration data, or small
 * synthetic batches made from the model's inputs), and how close a candidate's outputs are to the float model's:
 * the cosine similarity of each floating-point output over every element of every batch, the worst output
 * counting.
 */
final class Measure {
    private Measure() {}

    /** The context's calibration batches (the first {@code max}), or synthetic ones when it has none. */
    static CalibrationData data(PassContext ctx, Model model, int max) {
        CalibrationData c = ctx.calibration();
        if (c != null && !c.batches().isEmpty()) {
            List<Map<String, Tensor>> b = c.batches();
            List<Map<String, Tensor>> kept = max > 0 && b.size() > max ? b.subList(0, max) : b;
            String d = c.description() + (kept.size() < b.size() ? " (first " + kept.size() + " batches)" : "");
            return new Fixed(kept, d);
        }
        int n = max > 0 ? Math.min(max, 4) : 4;
        return new Fixed(synthetic(model, n, 2, 16, 0), "synthetic: " + n + " batches of 2 x 16 tokens "
                + "(ids within their embedding tables, masks of ones, floats from N(0, 1))");
    }

    record Fixed(List<Map<String, Tensor>> batches, String description) implements CalibrationData {}

    /** Batches for the model's non-constant inputs; symbolic dims: the first is the batch, others the sequence. */
    static List<Map<String, Tensor>> synthetic(Model model, int batches, int batch, int seq, long seed) {
        Random r = new Random(seed);
        List<Map<String, Tensor>> out = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            Map<String, Tensor> b = new LinkedHashMap<>();
            for (Value v : model.graph().inputs()) {
                if (v.initializer() != null || !(v.type() instanceof Type.Tensor t) || t.shape() == null) continue;
                long[] dims = new long[t.shape().rank()];
                for (int d = 0; d < dims.length; d++) {
                    Dim dim = t.shape().dim(d);
                    dims[d] = dim.isKnown() ? dim.value() : d == 0 ? batch : seq;
                }
                int count = Math.toIntExact(Tensor.elementCount(dims));
                String name = v.name().toLowerCase(java.util.Locale.ROOT);
                DataType type = t.elementType();
                if (type == DataType.FLOAT) {
                    float[] f = new float[count];
                    for (int k = 0; k < count; k++) f[k] = (float) r.nextGaussian();
                    b.put(v.name(), Tensor.ofFloats(v.name(), dims, f));
                } else if (type == DataType.INT64 || type == DataType.INT32) {
                    long bound = idBound(v);
                    long[] x = new long[count];
                    for (int k = 0; k < count; k++) {
                        if (name.contains("mask")) x[k] = 1;
                        else if (name.contains("position")) x[k] = dims.length > 0 ? k % dims[dims.length - 1] : 0;
                        else if (name.contains("token_type")) x[k] = 0;
                        else x[k] = r.nextInt((int) Math.min(bound, Integer.MAX_VALUE));
                    }
                    Tensor l = Tensor.ofLongs(v.name(), dims, x);
                    if (type == DataType.INT32) {
                        ByteBuffer bb = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
                        for (long y : x) bb.putInt((int) y);
                        l = Tensor.of(v.name(), DataType.INT32, dims, new dev.tailor.compiler.ir.HeapData(bb.array()));
                    }
                    b.put(v.name(), l);
                } else if (type == DataType.BOOL) {
                    byte[] x = new byte[count];
                    java.util.Arrays.fill(x, (byte) 1);
                    b.put(v.name(), Tensor.of(v.name(), DataType.BOOL, dims, new dev.tailor.compiler.ir.HeapData(x)));
                } else {
                    throw new IllegalStateException("cannot make synthetic data for input '" + v.name() + "' of " + type
                            + "; give the pass calibration data");
                }
            }
            out.add(b);
        }
        return out;
    }

    /** Rows of the embedding table an id input indexes (through reshapes and casts), or 100. */
    private static long idBound(Value input) {
        Set<String> through = Set.of("Reshape", "Unsqueeze", "Squeeze", "Flatten", "Cast", "Identity");
        ArrayDeque<Value> q = new ArrayDeque<>(List.of(input));
        int steps = 0;
        while (!q.isEmpty() && steps++ < 64) {
            Value v = q.poll();
            for (Use u : v.uses()) {
                Node n = u.node();
                if (n.opType().equals("Gather") && u.index() == 1 && n.input(0) != null && n.input(0).initializer() != null)
                    return n.input(0).initializer().dims()[0];
                if (through.contains(n.opType()) && u.index() == 0) q.add(n.output(0));
            }
        }
        return 100;
    }

    /** Element values of a float, float16 or double tensor. */
    static double[] doubles(Tensor t) {
        int n = Math.toIntExact(t.elementCount());
        double[] out = new double[n];
        ByteBuffer b = t.bytes();
        switch (t.dataType()) {
            case FLOAT -> { for (int i = 0; i < n; i++) out[i] = b.getFloat(i * 4); }
            case FLOAT16 -> { for (int i = 0; i < n; i++) out[i] = QuantMath.fromHalf(b.getShort(i * 2)); }
            case DOUBLE -> { for (int i = 0; i < n; i++) out[i] = b.getDouble(i * 8); }
            default -> throw new IllegalArgumentException(t + " is not floating point");
        }
        return out;
    }

    /** Accumulates, per output position, the cosine of candidate against reference over batches. */
    static final class Cosine {
        private final double[] dot, na, nb;

        Cosine(int outputs) {
            dot = new double[outputs];
            na = new double[outputs];
            nb = new double[outputs];
        }

        void add(int output, Tensor reference, Tensor candidate) {
            double[] a = doubles(reference);
            double[] b = doubles(candidate);
            if (a.length != b.length) throw new IllegalStateException("output " + output + " changed its size");
            for (int i = 0; i < a.length; i++) {
                dot[output] += a[i] * b[i];
                na[output] += a[i] * a[i];
                nb[output] += b[i] * b[i];
            }
        }

        /** The smallest cosine over the outputs (1 for identical, NaN if the candidate made NaNs). */
        double min() {
            double m = 1;
            for (int i = 0; i < dot.length; i++) {
                double c = na[i] == 0 && nb[i] == 0 ? 1 : dot[i] / Math.sqrt(na[i] * nb[i]);
                if (Double.isNaN(c)) return Double.NaN;
                m = Math.min(m, c);
            }
            return m;
        }
    }

    static boolean isFloat(Tensor t) {
        return t.dataType() == DataType.FLOAT || t.dataType() == DataType.FLOAT16 || t.dataType() == DataType.DOUBLE;
    }
}
