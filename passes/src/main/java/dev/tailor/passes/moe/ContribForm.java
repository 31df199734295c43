package dev.tailor.passes.moe;

import static dev.tailor.passes.moe.Emitter.list;

import dev.tailor.compiler.anatomy.Role;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Value;
import java.util.Map;

/**
 * ONNX Runtime's {@code com.microsoft.MoE} operator (CPU kernel since 1.22, CUDA). The operator applies a softmax
 * to its router input, takes the top k and (with {@code normalize_routing_weights}) renormalises over them; fed
 * {@code log(gate weights)} it reproduces our weights exactly (softmax of the picked experts' scores), and with
 * 0/1 weights it gives each picked expert {@code 1/k}, which a final multiplication by k turns back into 1.
 * Expert weights are stored transposed, one row per neuron ({@code fc1: [E, m, in]}, {@code fc2: [E, out, m]});
 * a gated FFN uses the fused SwiGLU form ({@code swiglu_fusion=1}: gate and up rows interleaved, alpha 1, beta 0,
 * no clamp), the only gated form the CPU kernel has. The shared expert runs beside it as a plain slice.
 *
 * <p>The kernel's activations are relu, silu, identity, swiglu and GELU <em>in its tanh approximation</em>; an
 * FFN with another activation (the exact erf GELU of BERT-style models among them) is refused with a pointer to
 * {@code form=sparse}.
 */
final class ContribForm {
    private ContribForm() {}

    private static final Map<String, String> ACTIVATIONS = Map.of("relu", "relu", "gelu_tanh", "gelu",
            "silu", "silu", "none", "identity");

    /** Fails unless the operator computes exactly this FFN. */
    static void check(FfnSite site) {
        String act = site.sublayer.ffn().activation();
        if (site.gate != null) {
            if (!act.equals("silu"))
                throw FfnSite.fail(site.sublayer, "form=contrib: ONNX Runtime's MoE gates only with SiLU (swiglu); "
                        + "this FFN is " + site.sublayer.ffn().describe() + "; use form=sparse");
            if (!site.neuronConstants.isEmpty())
                throw FfnSite.fail(site.sublayer, "form=contrib: a gated FFN with biases is not supported by "
                        + "ONNX Runtime's fused SwiGLU; use form=sparse");
        } else {
            if (!ACTIVATIONS.containsKey(act))
                throw FfnSite.fail(site.sublayer, "form=contrib: ONNX Runtime's MoE has no " + act + " activation "
                        + "(its gelu is the tanh approximation; it has relu, silu, identity); use form=sparse");
            if (site.neuronConstants.size() > 1 || site.neuronConstants.stream().anyMatch(v -> v != upBias(site)))
                throw FfnSite.fail(site.sublayer, "form=contrib: per-neuron constants besides the up bias; use "
                        + "form=sparse");
        }
        if (site.in != site.out)
            throw FfnSite.fail(site.sublayer, "form=contrib: input width " + site.in + " differs from output width "
                    + site.out);
    }

    private static Value upBias(FfnSite site) {
        Weight w = site.sublayer.weight(Role.UP);
        return w.bias() == null ? null : w.bias().value();
    }

    static void emit(Emitter em, FfnSite site, Layout layout, Routing routing) {
        int e = layout.experts(), m = layout.expertSize(), in = site.in, out = site.out, width = site.width;
        boolean gated = site.gate != null;
        Value shape = em.op("Shape", list(site.x));
        Value flat = em.op("Reshape", list(site.x, em.longs("flat_shape", new long[] {2}, -1, in)));
        Value w = routing.gateWeights(em, flat);
        Value probs = em.op("Log", list(w));

        float[] w1 = site.up.input(1).initializer().toFloats();
        float[] wg = gated ? site.gate.input(1).initializer().toFloats() : null;
        int rows = gated ? 2 * m : m;
        float[] fc1 = new float[e * rows * in];
        for (int k = 0; k < e; k++)
            for (int r = 0; r < m; r++) {
                int j = layout.start(k) + r;
                for (int f = 0; f < in; f++) {
                    if (gated) {
                        fc1[((k * rows) + 2 * r) * in + f] = wg[f * width + j];
                        fc1[((k * rows) + 2 * r + 1) * in + f] = w1[f * width + j];
                    } else {
                        fc1[((k * rows) + r) * in + f] = w1[f * width + j];
                    }
                }
            }
        float[] w2 = site.down.input(1).initializer().toFloats();
        float[] fc2 = new float[e * out * m];
        for (int k = 0; k < e; k++)
            for (int o = 0; o < out; o++)
                for (int r = 0; r < m; r++) fc2[(k * out + o) * m + r] = w2[(layout.start(k) + r) * out + o];
        Value bias1 = null;
        Value upBias = upBias(site);
        if (!gated && upBias != null) {
            float[] b = upBias.initializer().toFloats();
            float[] fb = new float[e * m];
            for (int k = 0; k < e; k++) System.arraycopy(b, layout.start(k), fb, k * m, m);
            bias1 = em.floats("fc1_bias", new long[] {e, m}, fb);
        }
        Attribute activation = Attribute.of("activation_type",
                gated ? "swiglu" : ACTIVATIONS.get(site.sublayer.ffn().activation()));
        Value fc1w = em.floats("fc1", new long[] {e, rows, in}, fc1);
        Value fc2w = em.floats("fc2", new long[] {e, out, m}, fc2);
        Value moe = (gated
                ? em.node("com.microsoft", "MoE", list(flat, probs, fc1w, bias1, fc2w), 1, activation,
                Attribute.of("k", (long) routing.topK()), Attribute.of("normalize_routing_weights", 1L),
                Attribute.of("swiglu_fusion", 1L), Attribute.of("activation_alpha", 1f),
                Attribute.of("activation_beta", 0f))
                : em.node("com.microsoft", "MoE", list(flat, probs, fc1w, bias1, fc2w), 1, activation,
                Attribute.of("k", (long) routing.topK()), Attribute.of("normalize_routing_weights", 1L))).output(0);
        if (!routing.softmax()) moe = em.op("Mul", list(moe, em.floats("k", new long[0], new float[] {routing.topK()})));
        if (layout.shared() > 0)
            moe = em.op("Add", list(moe, ExpertSlice.emit(em, site, flat, 0, layout.shared(), "shared")));
        moe = routing.compensated(em, moe, w);
        site.down.output(0).replaceAllUsesWith(em.op("Reshape", list(moe, shape)));
    }
}
