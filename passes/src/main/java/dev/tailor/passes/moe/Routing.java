package dev.tailor.passes.moe;

import static dev.tailor.passes.moe.Emitter.list;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Value;
import java.util.Arrays;

/**
 * The router in the graph, shared by the masked and sparse forms: {@code scores = x·R + b}; {@code TopK} gives the
 * k-th highest score per token and the experts at or above it are picked ({@code Less} + {@code Not}, so ops of
 * opset 10 suffice). The result is each token's gate weight per expert: 1 for the picked experts (or the softmax
 * of their scores, renormalised over the picked ones), 0 for the rest. With {@code means} (compensation), each
 * expert's mean contribution weighted by {@code 1 - gate weight} is added to the FFN output.
 *
 * @param means each routed expert's mean contribution {@code [experts, out]}, or null
 */
record Routing(Router router, int topK, boolean softmax, float[] means) {

    Value gateWeights(Emitter em, Value x) {
        Router r = router;
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
        Arrays.fill(ones, 1f);
        Value sum = em.op("MatMul", list(exp, em.floats("ones", new long[] {e, 1}, ones)));
        return em.op("Div", list(exp, sum));
    }

    /** {@code (1 - w)·means}, what compensation adds to the FFN output; null without compensation. */
    Value compensation(Emitter em, Value w) {
        if (means == null) return null;
        int e = router.experts();
        Value missing = em.op("Sub", list(em.floats("one", new long[0], new float[] {1}), w));
        return em.op("MatMul", list(missing, em.floats("mean_contribution", new long[] {e, means.length / e}, means)));
    }

    /** {@code y} plus the compensation, if any. */
    Value compensated(Emitter em, Value y, Value w) {
        Value c = compensation(em, w);
        return c == null ? y : em.op("Add", list(y, c));
    }
}
