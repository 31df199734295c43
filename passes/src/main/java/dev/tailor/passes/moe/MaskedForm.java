package dev.tailor.passes.moe;

import static dev.tailor.passes.moe.Emitter.list;

import dev.tailor.compiler.ir.Value;

/**
 * The portable reference form: the FFN stays dense, and its hidden activation is multiplied by each neuron's
 * expert gate weight (the router's weights per expert, spread over each expert's slice with one MatMul by a 0/1
 * block matrix; shared neurons always 1) before the down projection. Exact MoE semantics, no speed gain.
 */
final class MaskedForm {
    private MaskedForm() {}

    static void emit(Emitter em, FfnSite site, Layout layout, Routing routing) {
        Value w = routing.gateWeights(em, site.x);
        int width = layout.width(), e = layout.experts();
        float[] spread = new float[e * width];
        for (int k = 0; k < e; k++) for (int i = layout.start(k); i < layout.end(k); i++) spread[k * width + i] = 1;
        Value mask = em.op("MatMul", list(w, em.floats("spread", new long[] {e, width}, spread)));
        if (layout.shared() > 0) {
            float[] shared = new float[width];
            for (int i = 0; i < layout.shared(); i++) shared[i] = 1;
            mask = em.op("Add", list(mask, em.floats("shared", new long[] {width}, shared)));
        }
        site.down.setInput(0, em.op("Mul", list(site.hidden, mask)));
        Value c = routing.compensation(em, w);
        if (c != null) em.addToReaders(site.down.output(0), c);
    }
}
