package dev.tailor.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Latency of a model on ONNX Runtime: warm-up runs, then p50/p90 over timed runs. Against a second model the
 * runs are interleaved (A, B, B, A, …) so that drift in the machine's speed falls on both alike, and the result
 * is reported as a ratio of medians.
 */
public final class LatencyBench {

    /** Milliseconds per run. */
    public record Stats(double p50, double p90, double mean, int runs) {}

    /** {@code ratio} is other's p50 over this model's p50 (above 1: this model is faster); null without another. */
    public record Result(Stats model, Stats other, Double ratio, ExecutionProvider provider, List<String> notices) {}

    private LatencyBench() {}

    public static Result run(Model model, Model other, Map<String, Tensor> inputs, int warmup, int runs,
                             Sessions.Options options) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Sessions.Opened a = Sessions.open(env, model, options);
             Sessions.Opened b = other == null ? null : Sessions.open(env, other, options)) {
            Map<String, OnnxTensor> feedA = feed(env, a.session(), inputs);
            Map<String, OnnxTensor> feedB = b == null ? null : feed(env, b.session(), inputs);
            try {
                for (int i = 0; i < warmup; i++) {
                    time(a.session(), feedA);
                    if (b != null) time(b.session(), feedB);
                }
                double[] ta = new double[runs];
                double[] tb = new double[b == null ? 0 : runs];
                for (int i = 0; i < runs; i++) {
                    if (b != null && i % 2 == 1) {
                        tb[i] = time(b.session(), feedB);
                        ta[i] = time(a.session(), feedA);
                    } else {
                        ta[i] = time(a.session(), feedA);
                        if (b != null) tb[i] = time(b.session(), feedB);
                    }
                }
                Stats sa = stats(ta);
                Stats sb = b == null ? null : stats(tb);
                List<String> notices = new ArrayList<>(a.notices());
                return new Result(sa, sb, sb == null ? null : sb.p50() / sa.p50(), a.provider(), notices);
            } finally {
                feedA.values().forEach(OnnxTensor::close);
                if (feedB != null) feedB.values().forEach(OnnxTensor::close);
            }
        }
    }

    private static Map<String, OnnxTensor> feed(OrtEnvironment env, OrtSession s, Map<String, Tensor> inputs) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet())
                if (s.getInputNames().contains(e.getKey())) feed.put(e.getKey(), OrtTensors.toOrt(env, e.getValue()));
            return feed;
        } catch (OrtException e) {
            feed.values().forEach(OnnxTensor::close);
            throw new IllegalStateException("cannot pass the inputs to ONNX Runtime: " + e.getMessage(), e);
        }
    }

    private static double time(OrtSession s, Map<String, OnnxTensor> feed) {
        long t0 = System.nanoTime();
        try (OrtSession.Result r = s.run(feed)) {
            return (System.nanoTime() - t0) / 1e6;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
        }
    }

    static Stats stats(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        double mean = Arrays.stream(s).average().orElse(Double.NaN);
        return new Stats(percentile(s, 0.5), percentile(s, 0.9), mean, s.length);
    }

    /** Nearest-rank percentile of sorted values. */
    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
