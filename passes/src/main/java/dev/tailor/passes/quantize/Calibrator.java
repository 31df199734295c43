package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.Evaluator;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Activation ranges for static quantization, from the float model run on calibration batches (one prepared
 * session; the activations are asked for as extra outputs). Methods:
 * <ul>
 *   <li>{@link Method#MINMAX}: the smallest and largest value seen;</li>
 *   <li>{@link Method#PERCENTILE}: the range clipped to the {@code percentile} of |x| (a histogram of |x|), so rare
 *       outliers do not stretch the scale;</li>
 *   <li>{@link Method#ENTROPY}: the clipping threshold of |x| that minimises the KL divergence between the
 *       histogram and its 128-level quantized form (TensorRT's calibration).</li>
 * </ul>
 * Clipped ranges keep the seen minimum and maximum where they lie inside the threshold.
 */
final class Calibrator {
    enum Method { MINMAX, PERCENTILE, ENTROPY }

    static final int BINS = 2048;

    private Calibrator() {}

    static Map<Value, float[]> ranges(Model model, List<Value> activations, Evaluator evaluator,
                                      List<Map<String, Tensor>> batches, Method method, double percentile) {
        Map<String, Value> byName = new LinkedHashMap<>();
        for (Value v : activations) byName.put(v.name(), v);
        Map<String, float[]> minMax = new LinkedHashMap<>();
        Map<String, long[]> hist = new LinkedHashMap<>();
        try (Evaluator.Prepared p = evaluator.prepare(model, new ArrayList<>(byName.keySet()))) {
            for (Map<String, Tensor> b : batches) {
                for (Map.Entry<String, Tensor> e : p.run(b).entrySet()) {
                    if (!byName.containsKey(e.getKey())) continue;
                    float[] mm = minMax.computeIfAbsent(e.getKey(), k -> new float[] {0, 0});
                    FloatBuffer f = floats(e.getValue());
                    while (f.hasRemaining()) {
                        float x = f.get();
                        if (x < mm[0]) mm[0] = x;
                        if (x > mm[1]) mm[1] = x;
                    }
                }
            }
            if (method != Method.MINMAX) {
                for (Map<String, Tensor> b : batches) {
                    for (Map.Entry<String, Tensor> e : p.run(b).entrySet()) {
                        float[] mm = minMax.get(e.getKey());
                        if (mm == null) continue;
                        double top = Math.max(-mm[0], mm[1]);
                        long[] h = hist.computeIfAbsent(e.getKey(), k -> new long[BINS]);
                        FloatBuffer f = floats(e.getValue());
                        while (f.hasRemaining()) h[bin(Math.abs(f.get()), top)]++;
                    }
                }
            }
        }
        Map<Value, float[]> out = new IdentityHashMap<>();
        for (Map.Entry<String, float[]> e : minMax.entrySet()) {
            float[] mm = e.getValue();
            float[] r = mm.clone();
            if (method != Method.MINMAX) {
                float top = Math.max(-mm[0], mm[1]);
                long[] h = hist.get(e.getKey());
                float t = method == Method.PERCENTILE ? percentileThreshold(h, top, percentile) : entropyThreshold(h, top);
                r = new float[] {Math.max(mm[0], -t), Math.min(mm[1], t)};
            }
            out.put(byName.get(e.getKey()), r);
        }
        return out;
    }

    private static FloatBuffer floats(Tensor t) {
        if (t.dataType() != DataType.FLOAT) throw new IllegalStateException(t + " is not float");
        return t.bytes().asFloatBuffer();
    }

    private static int bin(float absX, double top) {
        if (top <= 0) return 0;
        int b = (int) (absX / top * BINS);
        return Math.min(BINS - 1, Math.max(0, b));
    }

    /** The upper edge of the first bin at which the cumulative share of |x| reaches {@code percentile} (e.g. 99.99). */
    static float percentileThreshold(long[] hist, float top, double percentile) {
        long total = 0;
        for (long c : hist) total += c;
        if (total == 0) return top;
        double want = total * percentile / 100.0;
        long seen = 0;
        for (int i = 0; i < hist.length; i++) {
            seen += hist[i];
            if (seen >= want) return top * (i + 1) / hist.length;
        }
        return top;
    }

    /**
     * TensorRT's entropy calibration over a histogram of |x|: for each candidate threshold (from 128 bins up), the
     * clipped distribution P (outliers folded into the last bin) is compared with Q, P merged into 128 levels and
     * spread back over the non-empty bins; the threshold with the least KL(P || Q) wins.
     */
    static float entropyThreshold(long[] hist, float top) {
        int levels = 128;
        int n = hist.length;
        double best = Double.POSITIVE_INFINITY;
        int bestI = n;
        for (int i = levels; i <= n; i++) {
            double[] p = new double[i];
            for (int j = 0; j < i; j++) p[j] = hist[j];
            for (int j = i; j < n; j++) p[i - 1] += hist[j];
            double[] q = new double[i];
            double per = (double) i / levels;
            for (int l = 0; l < levels; l++) {
                int from = (int) Math.floor(l * per);
                int to = l == levels - 1 ? i : (int) Math.floor((l + 1) * per);
                double sum = 0;
                int nonZero = 0;
                // Q is made from the histogram without the folded outliers, so clipping them costs.
                for (int j = from; j < to; j++) {
                    sum += hist[j];
                    if (hist[j] != 0) nonZero++;
                }
                for (int j = from; j < to; j++) if (hist[j] != 0) q[j] = sum / nonZero;
            }
            double kl = kl(p, q);
            if (kl < best) {
                best = kl;
                bestI = i;
            }
        }
        return top * bestI / n;
    }

    private static double kl(double[] p, double[] q) {
        double sp = 0, sq = 0;
        for (double v : p) sp += v;
        for (double v : q) sq += v;
        if (sp == 0 || sq == 0) return 0;
        double d = 0;
        for (int j = 0; j < p.length; j++) {
            if (p[j] == 0) continue;
            double pj = p[j] / sp;
            double qj = q[j] / sq;
            d += qj == 0 ? pj * Math.log(pj / 1e-10) : pj * Math.log(pj / qj);
        }
        return d;
    }
}
