package dev.tailor.runtime;

import ai.onnxruntime.OrtEnvironment;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How far an embedding model's sentence embeddings moved, measured the way they are used: mean-pooled over the
 * real tokens (the attention mask), then compared with the reference's per sentence (cosine) and as a retrieval
 * index: for each sentence, its {@code k} nearest neighbours among all the sentences by cosine, under the reference
 * and under the candidate; the agreement is the mean share of the reference's neighbours that the candidate also
 * finds.
 */
public final class EmbeddingAgreement {
    private EmbeddingAgreement() {}

    /** Per-sentence cosines (mean, min) and the top-k neighbour agreement. */
    public record Result(double pooledCosineMean, double pooledCosineMin, double neighbourAgreement, int k) {}

    /**
     * Mean-pooled embeddings of every sentence of {@code batches} from {@code model}'s first output, a
     * {@code [batch, sequence, hidden]} float tensor, masked by the batch's {@code attention_mask}.
     */
    public static float[][] pooled(Model model, List<Map<String, Tensor>> batches, Sessions.Options options) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<float[]> out = new ArrayList<>();
        try (Sessions.Opened s = Sessions.open(env, model, options)) {
            String first = s.session().getOutputNames().iterator().next();
            for (Map<String, Tensor> b : batches) {
                Tensor h = Validator.run(env, s.session(), b).get(first);
                Tensor mask = b.get("attention_mask");
                out.addAll(Arrays.asList(pool(h, mask)));
            }
        }
        return out.toArray(new float[0][]);
    }

    static float[][] pool(Tensor hidden, Tensor mask) {
        if (hidden.dataType() != DataType.FLOAT || hidden.rank() != 3)
            throw new IllegalArgumentException("expected a float [batch, sequence, hidden] output, got " + hidden);
        long[] d = hidden.dims();
        int batch = (int) d[0], seq = (int) d[1], dim = (int) d[2];
        long[] m = mask == null ? null : mask.toLongs();
        ByteBuffer bytes = hidden.bytes();
        float[][] out = new float[batch][dim];
        for (int b = 0; b < batch; b++) {
            int count = 0;
            for (int s = 0; s < seq; s++) {
                if (m != null && m[b * seq + s] == 0) continue;
                count++;
                int base = (b * seq + s) * dim;
                for (int h = 0; h < dim; h++) out[b][h] += bytes.getFloat((base + h) * 4);
            }
            for (int h = 0; h < dim; h++) out[b][h] /= Math.max(1, count);
        }
        return out;
    }

    public static Result compare(float[][] reference, float[][] candidate, int k) {
        if (reference.length != candidate.length)
            throw new IllegalArgumentException(reference.length + " reference sentences, " + candidate.length + " candidate");
        int n = reference.length;
        double sum = 0, min = 1;
        for (int i = 0; i < n; i++) {
            double c = cosine(reference[i], candidate[i]);
            sum += c;
            min = Math.min(min, c);
        }
        float[][] r = normalized(reference);
        float[][] c = normalized(candidate);
        double agree = 0;
        int kk = Math.min(k, n - 1);
        for (int i = 0; i < n; i++) {
            int[] a = nearest(r, i, kk);
            int[] b = nearest(c, i, kk);
            int common = 0;
            for (int x : a) for (int y : b) if (x == y) common++;
            agree += kk == 0 ? 1 : (double) common / kk;
        }
        return new Result(sum / n, min, agree / n, kk);
    }

    private static int[] nearest(float[][] e, int i, int k) {
        int n = e.length;
        double[] sims = new double[n];
        Integer[] idx = new Integer[n];
        for (int j = 0; j < n; j++) {
            idx[j] = j;
            double d = 0;
            for (int h = 0; h < e[i].length; h++) d += e[i][h] * e[j][h];
            sims[j] = j == i ? Double.NEGATIVE_INFINITY : d;
        }
        Arrays.sort(idx, (x, y) -> Double.compare(sims[y], sims[x]));
        int[] out = new int[k];
        for (int j = 0; j < k; j++) out[j] = idx[j];
        return out;
    }

    private static float[][] normalized(float[][] e) {
        float[][] out = new float[e.length][];
        for (int i = 0; i < e.length; i++) {
            double n = 0;
            for (float v : e[i]) n += v * v;
            double s = n == 0 ? 0 : 1 / Math.sqrt(n);
            out[i] = new float[e[i].length];
            for (int h = 0; h < e[i].length; h++) out[i][h] = (float) (e[i][h] * s);
        }
        return out;
    }

    private static double cosine(float[] a, float[] b) {
        double d = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            d += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 && nb == 0 ? 1 : d / Math.sqrt(na * nb);
    }
}
