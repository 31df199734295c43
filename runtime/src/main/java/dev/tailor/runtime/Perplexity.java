package dev.tailor.runtime;

import ai.onnxruntime.OrtEnvironment;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * A causal language model's perplexity on token batches: {@code exp} of the mean next-token cross-entropy over
 * the positions whose token and next token are both real ({@code attention_mask} 1; all are without a mask). The
 * model's first output holds the logits, {@code [batch, sequence, vocabulary]}; the batches hold
 * {@code input_ids}.
 */
public final class Perplexity {
    private Perplexity() {}

    /** Perplexity and the number of predicted tokens it averages over. */
    public record Result(double perplexity, double meanCrossEntropy, long tokens) {}

    public static Result of(Model model, List<Map<String, Tensor>> batches, Sessions.Options options) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        double sum = 0;
        long n = 0;
        try (Sessions.Opened s = Sessions.open(env, model, options)) {
            String first = s.session().getOutputNames().iterator().next();
            for (Map<String, Tensor> b : batches) {
                Tensor ids = b.get("input_ids");
                if (ids == null) throw new IllegalArgumentException("perplexity needs input_ids in every batch");
                Tensor logits = Validator.run(env, s.session(), b).get(first);
                Tensor mask = b.get("attention_mask");
                double[] part = crossEntropy(logits, ids.toLongs(), mask == null ? null : mask.toLongs());
                sum += part[0];
                n += (long) part[1];
            }
        }
        if (n == 0) throw new IllegalArgumentException("no position has a real next token to predict");
        return new Result(Math.exp(sum / n), sum / n, n);
    }

    /** {summed cross-entropy, positions} of one batch. */
    static double[] crossEntropy(Tensor logits, long[] ids, long[] mask) {
        if (logits.dataType() != DataType.FLOAT || logits.rank() != 3)
            throw new IllegalArgumentException("expected float logits [batch, sequence, vocabulary], got " + logits);
        long[] d = logits.dims();
        int batch = (int) d[0], seq = (int) d[1], vocab = (int) d[2];
        ByteBuffer bytes = logits.bytes();
        double sum = 0;
        long n = 0;
        for (int b = 0; b < batch; b++)
            for (int t = 0; t + 1 < seq; t++) {
                int here = b * seq + t;
                if (mask != null && (mask[here] == 0 || mask[here + 1] == 0)) continue;
                int base = here * vocab;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) max = Math.max(max, bytes.getFloat((base + v) * 4));
                double z = 0;
                for (int v = 0; v < vocab; v++) z += Math.exp(bytes.getFloat((base + v) * 4) - max);
                double target = bytes.getFloat((base + (int) ids[here + 1]) * 4);
                sum += Math.log(z) + max - target;
                n++;
            }
        return new double[] {sum, n};
    }
}
