package dev.tailor.passes.moe;

/**
 * What each expert adds to the FFN output on each recorded token: the vector {@code a_e · W2_e} (the expert's
 * slice of the hidden activation times its rows of the down projection) and its norm, the "true contribution"
 * that the ridge router learns to predict and that router accuracy is measured against. Index {@code experts}
 * holds the shared expert's vector.
 */
final class Contributions {
    private final int experts;
    private final int tokens;
    private final int out;
    private final float[] norms;
    /** {@code [experts + 1, tokens, out]}. */
    private final float[] vectors;

    private Contributions(int experts, int tokens, int out, float[] norms, float[] vectors) {
        this.experts = experts;
        this.tokens = tokens;
        this.out = out;
        this.norms = norms;
        this.vectors = vectors;
    }

    static Contributions of(Activations acts, float[] w2, int out, Layout layout, MatMuls mm) {
        int e = layout.experts(), m = layout.expertSize(), s = layout.shared();
        int tokens = acts.tokens();
        float[] vectors = new float[(e + 1) * tokens * out];
        float[] routed = mm.product(slices(acts, layout, layout.start(0), e, m), e, tokens, m,
                rows(w2, out, layout, layout.start(0), e, m), out);
        System.arraycopy(routed, 0, vectors, 0, routed.length);
        if (s > 0) {
            float[] shared = mm.product(slices(acts, layout, 0, 1, s), 1, tokens, s, rows(w2, out, layout, 0, 1, s), out);
            System.arraycopy(shared, 0, vectors, e * tokens * out, shared.length);
        }
        float[] norms = new float[tokens * e];
        for (int k = 0; k < e; k++)
            for (int t = 0; t < tokens; t++) {
                double sum = 0;
                int base = (k * tokens + t) * out;
                for (int o = 0; o < out; o++) sum += (double) vectors[base + o] * vectors[base + o];
                norms[t * e + k] = (float) Math.sqrt(sum);
            }
        return new Contributions(e, tokens, out, norms, vectors);
    }

    /** {@code [count, tokens, size]}: the activations of {@code count} consecutive slices from {@code start}. */
    private static float[] slices(Activations acts, Layout layout, int start, int count, int size) {
        int tokens = acts.tokens(), width = acts.width();
        float[] a = new float[count * tokens * size];
        for (int k = 0; k < count; k++)
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < size; r++)
                    a[(k * tokens + t) * size + r] = acts.a()[t * width + layout.order()[start + k * size + r]];
        return a;
    }

    /** {@code [count, size, out]}: the down projection's rows of the same slices. */
    private static float[] rows(float[] w2, int out, Layout layout, int start, int count, int size) {
        float[] w = new float[count * size * out];
        for (int i = 0; i < count * size; i++) System.arraycopy(w2, layout.order()[start + i] * out, w, i * out, out);
        return w;
    }

    int experts() {
        return experts;
    }

    double norm(int token, int expert) {
        return norms[token * experts + expert];
    }

    /** Component {@code o} of expert {@code expert}'s vector ({@code experts}: the shared expert) on a token. */
    float component(int token, int expert, int o) {
        return vectors[(expert * tokens + token) * out + o];
    }

    int out() {
        return out;
    }

    /** Each routed expert's mean contribution over the fitting tokens, {@code [experts, out]}. */
    float[] means() {
        float[] m = new float[experts * out];
        int n = 0;
        for (int t = 0; t < tokens; t++) {
            if (Activations.heldOut(t)) continue;
            n++;
            for (int k = 0; k < experts; k++)
                for (int o = 0; o < out; o++) m[k * out + o] += component(t, k, o);
        }
        for (int i = 0; i < m.length; i++) m[i] /= Math.max(1, n);
        return m;
    }
}
