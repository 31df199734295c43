package dev.tailor.runtime;

import ai.onnxruntime.OrtEnvironment;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * A causal language model's perplexity on token rows: {@code exp} of the mean next-token cross-entropy, over every
 * position whose target token is real ({@code attention_mask} 1 at the target; all positions without a mask).
 * The logits are the model's first output, {@code [batch, sequence, vocab]} floats.
 */
public final class Perplexity {
    private Perplexity() {}

    /** Cross-entropy summed over scored targets, and how many there were; perplexity is exp(sum / count). */
    public record Result(double crossEntropySum, long targets) {
        public double perplexity() {
            return Math.exp(meanCrossEntropy());
        }

        public double meanCrossEntropy() {
            if (targets == 0) throw new IllegalStateException("no target tokens were scored (all rows padding?)");
            return crossEntropySum / targets;
        }

        Result plus(Result o) {
            return new Result(crossEntropySum + o.crossEntropySum, targets + o.targets);
        }
    }

    /** Runs {@code model} on every batch (each needs {@code input_ids}) and scores its logits. */
    public static Result of(Model model, List<Map<String, Tensor>> batches, Sessions.Options options) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Result total = new Result(0, 0);
        try (Sessions.Opened s = Sessions.open(env, model, options)) {
            String logits = s.session().getOutputNames().iterator().next();
            for (Map<String, Tensor> b : batches) {
                Tensor ids = b.get("input_ids");
                if (ids == null) throw new IllegalArgumentException("perplexity needs an input_ids input in every batch");
                total = total.plus(score(Validator.run(env, s.session(), b).get(logits), ids, b.get("attention_mask")));
            }
        }
        return total;
    }

    /** Scores one batch: logits at position t predict the token at t + 1. */
    public static Result score(Tensor logits, Tensor inputIds, Tensor attentionMask) {
        if (logits.dataType() != DataType.FLOAT || logits.rank() != 3)
            throw new IllegalArgumentException("expected float logits [batch, sequence, vocab], got " + logits);
        long[] d = logits.dims();
        int batch = (int) d[0], seq = (int) d[1], vocab = (int) d[2];
        long[] ids = inputIds.toLongs();
        long[] mask = attentionMask == null ? null : attentionMask.toLongs();
        if (ids.length != (long) batch * seq)
            throw new IllegalArgumentException("input_ids " + java.util.Arrays.toString(inputIds.dims())
                    + " do not match logits " + java.util.Arrays.toString(d));
        ByteBuffer bytes = logits.bytes();
        double sum = 0;
        long count = 0;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t + 1 < seq; t++) {
                int target = b * seq + t + 1;
                if (mask != null && mask[target] == 0) continue;
                int base = (b * seq + t) * vocab;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) max = Math.max(max, bytes.getFloat((base + v) * 4));
                double z = 0;
                for (int v = 0; v < vocab; v++) z += Math.exp(bytes.getFloat((base + v) * 4) - max);
                long token = ids[target];
                if (token < 0 || token >= vocab)
                    throw new IllegalArgumentException("token " + token + " at row " + b + ", position " + (t + 1)
                            + " is outside the vocabulary of " + vocab);
                sum += max + Math.log(z) - bytes.getFloat((int) (base + token) * 4);
                count++;
            }
        }
        return new Result(sum, count);
    }
}
