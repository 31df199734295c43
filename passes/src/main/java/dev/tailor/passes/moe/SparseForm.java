package dev.tailor.passes.moe;

import static dev.tailor.passes.moe.Emitter.list;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;

/**
 * The form that saves FLOPs: tokens are flattened to {@code [N, in]} and grouped by expert. For each routed expert
 * the tokens that picked it are found ({@code NonZero} of its gate-weight column), gathered, run through the
 * expert's slice of the FFN, weighted, and added back into the output rows they came from ({@code Gather} +
 * {@code Add} + {@code ScatterND}: each token appears at most once per expert, so this is an exact scatter-add
 * with opset 11 ops). The shared expert runs on every token and starts the sum. Needs opset 11.
 */
final class SparseForm {
    private SparseForm() {}

    static void emit(Emitter em, FfnSite site, Layout layout, Routing routing) {
        Value shape = em.op("Shape", list(site.x));
        Value flat = em.op("Reshape", list(site.x, em.longs("flat_shape", new long[] {2}, -1, site.in)));
        Value w = routing.gateWeights(em, flat);
        Value sum = layout.shared() > 0 ? ExpertSlice.emit(em, site, flat, 0, layout.shared(), "shared")
                : em.op("ConstantOfShape", list(em.op("Shape", list(flat))),
                Attribute.of("value", Tensor.ofFloats("value", new long[] {1}, 0f)));
        Value column = em.longs("flat_column", new long[] {2}, -1, 1);
        Value vector = em.longs("flat_vector", new long[] {1}, -1);
        for (int k = 0; k < layout.experts(); k++) {
            String name = "expert" + k;
            Value gate = em.op("Gather", list(w, em.longs(name + "_index", new long[0], k)), Attribute.of("axis", 1L));
            Value nonZero = em.op("NonZero", list(gate));
            Value rows = em.op("Reshape", list(nonZero, vector));
            Value scatterIndices = em.op("Reshape", list(nonZero, column));
            Value xe = em.op("Gather", list(flat, rows), Attribute.of("axis", 0L));
            Value ye = ExpertSlice.emit(em, site, xe, layout.start(k), layout.end(k), name);
            if (routing.softmax())
                ye = em.op("Mul", list(ye, em.op("Reshape", list(em.op("Gather", list(gate, rows),
                        Attribute.of("axis", 0L)), column))));
            Value before = em.op("Gather", list(sum, rows), Attribute.of("axis", 0L));
            sum = em.op("ScatterND", list(sum, scatterIndices, em.op("Add", list(before, ye))));
        }
        sum = routing.compensated(em, sum, w);
        site.down.output(0).replaceAllUsesWith(em.op("Reshape", list(sum, shape)));
    }
}
