package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Distances between a reference output and a transformed model's (pruned, or converted to experts), per
 * position along the last axis (a token's logits or hidden state), summed over the positions the attention mask
 * marks real (all positions without a mask, or when the mask's shape does not match the output's leading axes).
 */
public final class Scoring {
    private Scoring() {}

    /** How to compare outputs. */
    public enum Metric {
        /** Pick by output: js for logits, angular for hidden states. */
        AUTO,
        /** Jensen–Shannon divergence of the softmax distributions (nats). */
        JS,
        /** Kullback–Leibler divergence KL(reference || pruned) of the softmax distributions. */
        KL,
        /** 1 − cosine similarity. */
        COSINE,
        /** Angular distance arccos(cosine) / π. */
        ANGULAR,
        /** Mean squared error. */
        MSE
    }

    /** What an output holds. */
    enum Kind {
        LOGITS, HIDDEN
    }

    public record Sum(double total, long count) {}

    static Kind kindOf(String name, Tensor t) {
        return name.toLowerCase(Locale.ROOT).contains("logit") ? Kind.LOGITS : Kind.HIDDEN;
    }

    static Metric resolve(Metric m, Kind k) {
        if (m != Metric.AUTO) return m;
        return k == Kind.LOGITS ? Metric.JS : Metric.ANGULAR;
    }

    static float[] floats(Tensor t) {
        if (t.dataType() == DataType.FLOAT) return t.toFloats();
        if (t.dataType() == DataType.FLOAT16) {
            ByteBuffer b = t.bytes();
            float[] out = new float[Math.toIntExact(t.elementCount())];
            for (int i = 0; i < out.length; i++) out[i] = half(b.getShort(2 * i));
            return out;
        }
        if (t.dataType() == DataType.DOUBLE) {
            ByteBuffer b = t.bytes();
            float[] out = new float[Math.toIntExact(t.elementCount())];
            for (int i = 0; i < out.length; i++) out[i] = (float) b.getDouble(8 * i);
            return out;
        }
        throw new IllegalArgumentException("output '" + t.name() + "' is " + t.dataType() + ", not a float type");
    }

    static float half(short h) {
        int bits = h & 0xffff;
        int sign = (bits >>> 15) << 31;
        int e = (bits >>> 10) & 0x1f;
        int m = bits & 0x3ff;
        if (e == 0) {
            float v = m * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (e == 31) return Float.intBitsToFloat(sign | 0x7f800000 | (m << 13));
        return Float.intBitsToFloat(sign | ((e + 112) << 23) | (m << 13));
    }

    /** Which rows (positions along all axes but the last) count: null means all. */
    static boolean[] rows(Tensor out, Tensor mask) {
        if (mask == null || out.rank() < 2) return null;
        long[] d = out.dims();
        long[] md = mask.dims();
        if (md.length != 2 || out.rank() != 3 || md[0] != d[0] || md[1] != d[1]) return null;
        long[] m = integers(mask);
        boolean[] keep = new boolean[m.length];
        for (int i = 0; i < m.length; i++) keep[i] = m[i] != 0;
        return keep;
    }

    public static long[] integers(Tensor t) {
        if (t.dataType() == DataType.INT64) return t.toLongs();
        ByteBuffer b = t.bytes();
        long[] out = new long[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < out.length; i++)
            out[i] = switch (t.dataType()) {
                case INT32 -> b.getInt(4 * i);
                case BOOL, UINT8, INT8 -> b.get(i);
                case FLOAT -> (long) b.getFloat(4 * i);
                default -> throw new IllegalArgumentException("mask of type " + t.dataType());
            };
        return out;
    }

    /** How many positions of {@code reference} the mask marks real. */
    static long positions(Tensor reference, Tensor mask) {
        long[] d = reference.dims();
        long width = d.length == 0 ? 1 : d[d.length - 1];
        long rows = width == 0 ? 0 : reference.elementCount() / width;
        boolean[] keep = rows(reference, mask);
        if (keep == null) return rows;
        long n = 0;
        for (boolean k : keep) if (k) n++;
        return n;
    }

    public static Sum distance(Metric metric, Tensor reference, Tensor candidate, Tensor mask) {
        float[] r = floats(reference);
        float[] c = floats(candidate);
        if (r.length != c.length)
            throw new IllegalStateException("output sizes differ: " + r.length + " vs " + c.length);
        long[] d = reference.dims();
        int width = d.length == 0 ? 1 : (int) d[d.length - 1];
        int rows = width == 0 ? 0 : r.length / width;
        boolean[] keep = rows(reference, mask);
        double total = 0;
        long count = 0;
        for (int row = 0; row < rows; row++) {
            if (keep != null && !keep[row]) continue;
            total += distance(metric, r, c, row * width, width);
            count++;
        }
        return new Sum(total, count);
    }

    static double distance(Metric metric, float[] r, float[] c, int off, int n) {
        switch (metric) {
            case MSE: {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    double e = r[off + i] - c[off + i];
                    s += e * e;
                }
                return s / n;
            }
            case COSINE:
                return 1 - cosine(r, c, off, n);
            case ANGULAR:
                return Math.acos(Math.max(-1, Math.min(1, cosine(r, c, off, n)))) / Math.PI;
            case KL:
            case JS: {
                double[] p = softmax(r, off, n);
                double[] q = softmax(c, off, n);
                if (metric == Metric.KL) return kl(p, q);
                double[] m = new double[n];
                for (int i = 0; i < n; i++) m[i] = 0.5 * (p[i] + q[i]);
                return 0.5 * kl(p, m) + 0.5 * kl(q, m);
            }
            default:
                throw new IllegalArgumentException("metric " + metric + " is resolved before scoring");
        }
    }

    static double cosine(float[] a, float[] b, int off, int n) {
        double d = 0, na = 0, nb = 0;
        for (int i = off; i < off + n; i++) {
            d += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 && nb == 0) return 1;
        if (na == 0 || nb == 0) return 0;
        return d / Math.sqrt(na * nb);
    }

    private static double[] softmax(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double[] p = new double[n];
        double s = 0;
        for (int i = 0; i < n; i++) s += p[i] = Math.exp(x[off + i] - max);
        for (int i = 0; i < n; i++) p[i] /= s;
        return p;
    }

    private static double kl(double[] p, double[] q) {
        double s = 0;
        for (int i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * Math.log(p[i] / Math.max(q[i], 1e-300));
        return s;
    }
}
