package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Value;
import java.util.List;

/**
 * What an attention sublayer is made of.
 *
 * @param heads     query heads, or null when the head size is unknown
 * @param kvHeads   key/value heads (fewer than {@code heads} for grouped-query attention), or null
 * @param headSize  features per head, or null when the graph does not fix it
 * @param op        the fused operator ({@code com.microsoft.Attention}, {@code GroupQueryAttention}, …), or null
 *                  when the attention is written out (MatMul, Softmax, MatMul)
 * @param qkv       how q, k and v are stored: {@code separate}, {@code fused} (one matrix, split by column
 *                  ranges) or {@code packed} (one matrix, interleaved per head)
 * @param causal    TRUE when the mask is causal (a triangular buffer, a comparison of query and key positions,
 *                  or a causal fused operator), FALSE when the scores have no mask or only padding masks and
 *                  position biases, null when a mask comes from somewhere anatomy cannot read
 * @param mask      what is added to or masks the scores: {@code causal}, {@code padding} (from a
 *                  {@code [batch, sequence]} graph input), {@code position_bias} (a learned table), {@code input}
 *                  (a graph input of another rank, which may or may not be causal)
 * @param rotary    true when rotary position embeddings are applied to queries and keys
 * @param kvCache   the past and present key/value graph inputs and outputs, or null
 * @param kvSource  for cross-attention, the value keys and values are computed from (the encoder's output)
 * @param positionBias a table of learned position biases added to the scores (T5's relative attention bias)
 *                  that this sublayer computes; null when there is none or an earlier sublayer computes it
 */
public record Attention(Integer heads, Integer kvHeads, Integer headSize, String op, String qkv, Boolean causal,
                        List<String> mask, boolean rotary, KvCache kvCache, Value kvSource, Param positionBias) {

    /** Graph inputs and outputs that carry this layer's key/value cache. */
    public record KvCache(String pastKey, String pastValue, String presentKey, String presentValue) {}

    public boolean groupedQuery() {
        return heads != null && kvHeads != null && !heads.equals(kvHeads);
    }
}
