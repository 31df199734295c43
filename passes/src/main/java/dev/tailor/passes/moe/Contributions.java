package dev.tailor.passes.moe;

/**
 * What each expert adds to the FFN output on each recorded token: the vector {@code a_e · W2_e} (the expert's
 * slice of the hidden activation times its rows of the down projection) and its norm, the "true contribution"
 * that the ridge router learns to predict and that router accuracy is measured against. Index {@code experts}
 * holds the shared expert's vector.
 */
final class Contributions {
    private final int experts;
    private final int out;
    private final float[] norms;
    private final float[] vectors;

    private Contributions(int experts, int out, float[] norms, float[] vectors) {
        this.experts = experts;
        this.out = out;
        this.norms = norms;
        this.vectors = vectors;
    }

    static Contributions of(Activations acts, float[] w2, int out, Layout layout) {
        int e = layout.experts(), width = acts.width(), tokens = acts.tokens();
        float[] vectors = new float[tokens * (e + 1) * out];
        float[] norms = new float[tokens * e];
        int[] order = layout.order();
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < width; i++) {
                int j = order[i];
                float v = acts.a()[t * width + j];
                if (v == 0) continue;
                int slot = i < layout.shared() ? e : (i - layout.shared()) / layout.expertSize();
                int base = (t * (e + 1) + slot) * out;
                for (int o = 0; o < out; o++) vectors[base + o] += v * w2[j * out + o];
            }
            for (int k = 0; k < e; k++) {
                double s = 0;
                int base = (t * (e + 1) + k) * out;
                for (int o = 0; o < out; o++) s += (double) vectors[base + o] * vectors[base + o];
                norms[t * e + k] = (float) Math.sqrt(s);
            }
        }
        return new Contributions(e, out, norms, vectors);
    }

    int experts() {
        return experts;
    }

    double norm(int token, int expert) {
        return norms[token * experts + expert];
    }

    /** Component {@code o} of expert {@code expert}'s vector ({@code experts}: the shared expert) on a token. */
    float component(int token, int expert, int o) {
        return vectors[(token * (experts + 1) + expert) * out + o];
    }

    int out() {
        return out;
    }
}
