package dev.tailor.passes.moe;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.passes.prune.Scoring;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Records every selected FFN's input and hidden activation on the calibration data in one prepared session of
 * the original model: real tokens only (where {@code attention_mask} is 1, when the batch has one that matches),
 * up to {@code limit} tokens, in batch order. The same run keeps the model's first output on every batch, the
 * reference for the converted model's fidelity.
 */
final class Recorder {
    private Recorder() {}

    /** The activations per site, and the first graph output per batch. */
    record Recording(List<Activations> sites, List<Tensor> outputs) {}

    static Recording record(Model model, List<FfnSite> sites, Evaluator evaluator, List<Map<String, Tensor>> batches,
                            int limit) {
        String output = model.graph().outputs().get(0).name();
        List<Tensor> outputs = new ArrayList<>();
        List<String> names = new ArrayList<>(List.of(output));
        for (FfnSite s : sites) {
            names.add(s.x.name());
            names.add(s.hidden.name());
        }
        float[][] xs = new float[sites.size()][];
        float[][] as = new float[sites.size()][];
        for (int i = 0; i < sites.size(); i++) {
            xs[i] = new float[limit * sites.get(i).in];
            as[i] = new float[limit * sites.get(i).width];
        }
        int tokens = 0;
        try (Evaluator.Prepared p = evaluator.prepare(model, names)) {
            for (Map<String, Tensor> batch : batches) {
                Map<String, Tensor> r = p.run(batch);
                outputs.add(r.get(output));
                int added = 0;
                for (int i = 0; i < sites.size(); i++) {
                    FfnSite s = sites.get(i);
                    float[] x = floats(r.get(s.x.name()), s);
                    float[] a = floats(r.get(s.hidden.name()), s);
                    int rows = x.length / s.in;
                    long[] mask = mask(batch.get("attention_mask"), rows);
                    added = 0;
                    for (int t = 0; t < rows && tokens + added < limit; t++) {
                        if (mask != null && mask[t] == 0) continue;
                        System.arraycopy(x, t * s.in, xs[i], (tokens + added) * s.in, s.in);
                        System.arraycopy(a, t * s.width, as[i], (tokens + added) * s.width, s.width);
                        added++;
                    }
                }
                tokens += added;
            }
        }
        List<Activations> acts = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            FfnSite s = sites.get(i);
            acts.add(new Activations(tokens, s.in, s.width, Arrays.copyOf(xs[i], tokens * s.in),
                    Arrays.copyOf(as[i], tokens * s.width)));
        }
        return new Recording(acts, outputs);
    }

    private static float[] floats(Tensor t, FfnSite s) {
        if (t == null || t.dataType() != DataType.FLOAT)
            throw FfnSite.fail(s.sublayer, "the evaluator returned no float values for the FFN's activations");
        return t.toFloats();
    }

    private static long[] mask(Tensor m, int rows) {
        return m == null || m.elementCount() != rows ? null : Scoring.integers(m);
    }
}
