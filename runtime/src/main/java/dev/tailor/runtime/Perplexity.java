package dev.tailor.runtime;

import ai.onnxruntime.OrtEnvironment;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * Perplexity of a causal language model: {@code exp} of the mean next-token cross-entropy over the positions
 * whose next token is real. The model reads {@code input_ids} (and {@code attention_mask}, which marks real
 * tokens) and its first output holds the logits, {@code [batch, sequence, vocabulary]}.
 */
public final class Perplexity {
    private Perplexity() {}

    /** @param nll the mean negative log-likelihood (nats), {@code tokens} the predictions it averages */
    public record Result(double perplexity, double nll, long tokens) {}

    public static Result of(Model model, List<Map<String, Tensor>> batches, Sessions.Options options) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        double sum = 0;
        long n = 0;
        try (Sessions.Opened s = Sessions.open(env, model, options)) {
            String first = s.session().getOutputNames().iterator().next();
            for (Map<String, Tensor> b : batches) {
                Tensor logits = Validator.run(env, s.session(), b).get(first);
                if (logits.dataType() != DataType.FLOAT || logits.rank() != 3)
                    throw new IllegalArgumentException("expected float logits [batch, sequence, vocabulary] as the "
                            + "first output, got " + logits);
                long[] ids = b.get("input_ids").toLongs();
                Tensor maskTensor = b.get("attention_mask");
                long[] mask = maskTensor == null ? null : maskTensor.toLongs();
                long[] d = logits.dims();
                int batch = (int) d[0], seq = (int) d[1], vocab = (int) d[2];
                ByteBuffer f = logits.bytes();
                for (int i = 0; i < batch; i++)
                    for (int t = 0; t + 1 < seq; t++) {
                        int next = i * seq + t + 1;
                        if (mask != null && (mask[next] == 0 || mask[next - 1] == 0)) continue;
                        sum += crossEntropy(f, (i * seq + t) * vocab, vocab, (int) ids[next]);
                        n++;
                    }
            }
        }
        double nll = n == 0 ? Double.NaN : sum / n;
        return new Result(Math.exp(nll), nll, n);
    }

    private static double crossEntropy(ByteBuffer f, int off, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) max = Math.max(max, f.getFloat((off + v) * 4));
        double z = 0;
        for (int v = 0; v < vocab; v++) z += Math.exp(f.getFloat((off + v) * 4) - max);
        return Math.log(z) + max - f.getFloat((off + target) * 4);
    }
}
