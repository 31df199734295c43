package dev.tailor.passes.moe;

import static dev.tailor.passes.moe.Emitter.list;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Value;

/**
 * The router in the graph, shared by the masked and sparse forms: {@code scores = x·R + b}; {@code TopK} gives the
 * k-th highest score per token and the experts at or above it are picked ({@code Less} + {@code Not}, so ops of
 * opset 10 suffice). The result is each token's gate weight per expert: 1 for the picked experts (or the softmax
 * of their scores, renormalised over the picked ones), 0 for the rest.
 */
final class Routing {
    private Routing() {}

    static Value gateWeights(Emitter em, Value x, Router r, int topK, boolean softmax) {
        int e = r.experts();
        Value scores = em.op("MatMul", list(x, em.floats("router_weight", new long[] {r.in(), e}, r.weights())));
        scores = em.op("Add", list(scores, em.floats("router_bias", new long[] {e}, r.bias())));
        Value k = em.longs("k", new long[] {1}, topK);
        Value top = em.node(null, "TopK", list(scores, k), 2, Attribute.of("axis", -1L)).output(0);
        Value last = em.longs("last", new long[] {1}, -1);
        Value kth = em.op("Slice", list(top, em.longs("kth_start", new long[] {1}, topK - 1),
                em.longs("kth_end", new long[] {1}, topK), last));
        Value picked = em.op("Not", list(em.op("Less", list(scores, kth))));
        Value mask = em.op("Cast", list(picked), Attribute.of("to", (long) DataType.FLOAT.code()));
        if (!softmax) return mask;
        Value max = em.op("Slice", list(top, em.longs("top_start", new long[] {1}, 0),
                em.longs("top_end", new long[] {1}, 1), last));
        Value exp = em.op("Mul", list(em.op("Exp", list(em.op("Sub", list(scores, max)))), mask));
        float[] ones = new float[e];
        java.util.Arrays.fill(ones, 1f);
        Value sum = em.op("MatMul", list(exp, em.floats("ones", new long[] {e, 1}, ones)));
        return em.op("Div", list(exp, sum));
    }
}
