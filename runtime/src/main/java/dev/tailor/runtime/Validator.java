package dev.tailor.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a reference model and a candidate on the same inputs and measures, per output, how far the candidate
 * moved: max and mean abs error, relative L2 error, cosine similarity, top-1 agreement for logits, and for
 * embedding models (a [batch, sequence, hidden] output with an attention mask) the cosine of mean-pooled
 * sentence embeddings; with a mask, padded positions are left out of every metric. The candidate passes when every output meets the thresholds. The candidate's session is
 * profiled to count the nodes each execution provider ran.
 */
public final class Validator {

    /** Pass criteria; a null bound is not checked. */
    public record Thresholds(Double minCosine, Double maxAbsError, Double minTop1, Double minPooledCosine) {
        public static Thresholds defaults() {
            return new Thresholds(0.98, null, 0.9, 0.98);
        }
    }

    /** How one output moved, over all batches. */
    public record OutputMetrics(String name, long elements, double maxAbsError, double meanAbsError, double relativeL2,
                                double cosine, Double top1Agreement, Double pooledCosineMean, Double pooledCosineMin) {}

    /**
     * {@code cpuNodes} lists the candidate's nodes that ran on the CPU although the session was a CUDA one (its
     * fallbacks); empty on a CPU session.
     */
    public record Report(ExecutionProvider provider, List<String> notices, int batches, List<OutputMetrics> outputs,
                         Map<String, Integer> candidateNodesByProvider, List<String> cpuNodes, List<String> failures) {
        public boolean passed() {
            return failures.isEmpty();
        }
    }

    private Validator() {}

    public static Report validate(Model reference, Model candidate, List<Map<String, Tensor>> batches,
                                  Sessions.Options options, Thresholds thresholds) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<String> notices = new ArrayList<>();
        Map<String, Accumulator> acc = new LinkedHashMap<>();
        Map<String, java.util.Set<String>> placement;
        ExecutionProvider provider;
        try (Sessions.Opened ref = Sessions.open(env, reference, options);
             Sessions.Opened cand = Sessions.open(env, candidate, options.profiled())) {
            notices.addAll(cand.notices());
            provider = cand.provider();
            for (Map<String, Tensor> batch : batches) {
                Map<String, Tensor> expected = run(env, ref.session(), batch);
                Map<String, Tensor> actual = run(env, cand.session(), batch);
                Tensor mask = batch.get("attention_mask");
                for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                    Tensor a = actual.get(e.getKey());
                    if (a == null) throw new IllegalArgumentException("the candidate has no output '" + e.getKey() + "'");
                    acc.computeIfAbsent(e.getKey(), Accumulator::new).add(e.getValue(), a, mask);
                }
            }
            placement = cand.nodesByProvider();
        }
        List<OutputMetrics> outputs = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Accumulator a : acc.values()) {
            OutputMetrics m = a.metrics();
            outputs.add(m);
            check(failures, m.name(), "cosine", m.cosine(), thresholds.minCosine(), true);
            check(failures, m.name(), "max abs error", m.maxAbsError(), thresholds.maxAbsError(), false);
            if (m.top1Agreement() != null)
                check(failures, m.name(), "top-1 agreement", m.top1Agreement(), thresholds.minTop1(), true);
            if (m.pooledCosineMin() != null)
                check(failures, m.name(), "pooled-embedding cosine (min)", m.pooledCosineMin(),
                        thresholds.minPooledCosine(), true);
        }
        List<String> cpuNodes = provider == ExecutionProvider.CUDA
                ? List.copyOf(placement.getOrDefault("CPUExecutionProvider", java.util.Set.of())) : List.of();
        return new Report(provider, notices, batches.size(), outputs, Sessions.counts(placement), cpuNodes, failures);
    }

    private static void check(List<String> failures, String output, String what, double value, Double bound,
                              boolean atLeast) {
        if (bound == null) return;
        if (atLeast ? value < bound || Double.isNaN(value) : value > bound || Double.isNaN(value))
            failures.add(String.format(Locale.ROOT, "%s: %s %.6g is %s the threshold %.6g", output, what, value,
                    atLeast ? "below" : "above", bound));
    }

    static Map<String, Tensor> run(OrtEnvironment env, OrtSession session, Map<String, Tensor> inputs) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet())
                if (session.getInputNames().contains(e.getKey())) feed.put(e.getKey(), OrtTensors.toOrt(env, e.getValue()));
            Map<String, Tensor> out = new LinkedHashMap<>();
            try (OrtSession.Result r = session.run(feed)) {
                for (Map.Entry<String, OnnxValue> e : r)
                    if (e.getValue() instanceof OnnxTensor t) out.put(e.getKey(), OrtTensors.fromOrt(e.getKey(), t));
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    /** Running sums over batches for one output. */
    private static final class Accumulator {
        final String name;
        long n;
        double maxAbs, sumAbs, sumSqDiff, sumSqRef, dot, sumSqA, sumSqB;
        long top1Agree, top1Total;
        boolean logits;
        final List<Double> pooled = new ArrayList<>();

        Accumulator(String name) {
            this.name = name;
            this.logits = name.toLowerCase(Locale.ROOT).contains("logit");
        }

        void add(Tensor expected, Tensor actual, Tensor mask) {
            if (!java.util.Arrays.equals(expected.dims(), actual.dims()))
                throw new IllegalArgumentException("output '" + name + "' has shape "
                        + java.util.Arrays.toString(actual.dims()) + " in the candidate but "
                        + java.util.Arrays.toString(expected.dims()) + " in the reference");
            double[] e = Comparison.toDoubles(expected);
            double[] a = Comparison.toDoubles(actual);
            long[] dims = expected.dims();
            // Token states at padded positions are meaningless: with a mask, only real tokens count.
            long[] m = masks(dims, mask) ? mask.toLongs() : null;
            int perToken = dims.length == 3 ? (int) dims[2] : 1;
            for (int i = 0; i < e.length; i++) {
                if (m != null && m[i / perToken] == 0) continue;
                n++;
                double d = Math.abs(a[i] - e[i]);
                maxAbs = Math.max(maxAbs, d);
                sumAbs += d;
                sumSqDiff += d * d;
                sumSqRef += e[i] * e[i];
                dot += e[i] * a[i];
                sumSqA += e[i] * e[i];
                sumSqB += a[i] * a[i];
            }
            if (logits && dims.length >= 2 && dims[dims.length - 1] > 1) {
                int k = (int) dims[dims.length - 1];
                for (int row = 0; row < e.length / k; row++) {
                    top1Total++;
                    if (argmax(e, row * k, k) == argmax(a, row * k, k)) top1Agree++;
                }
            }
            if (m != null && expected.dataType().isFloatingPoint()) {
                int seq = (int) dims[1];
                int hidden = (int) dims[2];
                for (int b = 0; b < dims[0]; b++) {
                    double[] pe = new double[hidden];
                    double[] pa = new double[hidden];
                    for (int s = 0; s < seq; s++) {
                        if (m[b * seq + s] == 0) continue;
                        int base = (b * seq + s) * hidden;
                        for (int h = 0; h < hidden; h++) {
                            pe[h] += e[base + h];
                            pa[h] += a[base + h];
                        }
                    }
                    pooled.add(cosine(pe, pa));
                }
            }
        }

        /** True for a [batch, sequence, hidden] output with a matching int64 [batch, sequence] attention mask. */
        private static boolean masks(long[] dims, Tensor mask) {
            return dims.length == 3 && mask != null && mask.dataType() == DataType.INT64 && mask.rank() == 2
                    && mask.dims()[0] == dims[0] && mask.dims()[1] == dims[1];
        }

        OutputMetrics metrics() {
            double cos = sumSqA == 0 && sumSqB == 0 ? 1 : dot / Math.sqrt(sumSqA * sumSqB);
            Double top1 = top1Total == 0 ? null : (double) top1Agree / top1Total;
            Double pMean = pooled.isEmpty() ? null : pooled.stream().mapToDouble(Double::doubleValue).average().orElse(1);
            Double pMin = pooled.isEmpty() ? null : pooled.stream().mapToDouble(Double::doubleValue).min().orElse(1);
            return new OutputMetrics(name, n, maxAbs, n == 0 ? 0 : sumAbs / n,
                    sumSqRef == 0 ? Math.sqrt(sumSqDiff) : Math.sqrt(sumSqDiff / sumSqRef), cos, top1, pMean, pMin);
        }

        private static int argmax(double[] x, int from, int k) {
            int best = 0;
            for (int i = 1; i < k; i++) if (x[from + i] > x[from + best]) best = i;
            return best;
        }

        private static double cosine(double[] x, double[] y) {
            double d = 0, nx = 0, ny = 0;
            for (int i = 0; i < x.length; i++) {
                d += x[i] * y[i];
                nx += x[i] * x[i];
                ny += y[i] * y[i];
            }
            return nx == 0 && ny == 0 ? 1 : d / Math.sqrt(nx * ny);
        }
    }
}
