package dev.tailor.passes.moe;

/**
 * A router without training: a linear map from the FFN input to one score per routed expert,
 * {@code scores = x · weights + bias}, of which the {@code top_k} highest pick the experts.
 *
 * @param weights {@code in × experts}, row-major
 * @param bias    {@code experts}
 */
record Router(Moe.RouterKind kind, int in, int experts, float[] weights, float[] bias) {

    /**
     * The centroid router: each expert's mean pre-activation, i.e. the mean of its neurons' up columns (gate
     * columns for a gated FFN, whose gate decides which neurons fire) and biases.
     */
    static Router centroid(FfnSite site, Layout layout) {
        float[] w = site.gate != null ? site.gateWeights() : site.upWeights();
        float[] b = site.gate != null ? site.gateBias() : site.upBias();
        int in = site.in, width = site.width, e = layout.experts();
        float[] rw = new float[in * e];
        float[] rb = new float[e];
        for (int k = 0; k < e; k++) {
            for (int i = layout.start(k); i < layout.end(k); i++) {
                int j = layout.order()[i];
                for (int f = 0; f < in; f++) rw[f * e + k] += w[f * width + j];
                if (b != null) rb[k] += b[j];
            }
            for (int f = 0; f < in; f++) rw[f * e + k] /= layout.expertSize();
            rb[k] /= layout.expertSize();
        }
        return new Router(Moe.RouterKind.CENTROID, in, e, rw, rb);
    }

    /**
     * The ridge router: least squares from {@code [x, 1]} to each expert's true contribution ‖a_e · W2_e‖ on the
     * fitting tokens, with an L2 penalty of {@code lambda} times the mean diagonal of XᵀX (bias not penalised).
     */
    static Router ridge(Activations acts, Contributions contributions, double lambda, MatMuls mm) {
        int in = acts.in(), e = contributions.experts(), d = in + 1;
        int fit = 0;
        for (int t = 0; t < acts.tokens(); t++) if (!Activations.heldOut(t)) fit++;
        float[] x = new float[fit * d];
        float[] y = new float[fit * e];
        for (int t = 0, r = 0; t < acts.tokens(); t++) {
            if (Activations.heldOut(t)) continue;
            System.arraycopy(acts.x(), t * in, x, r * d, in);
            x[r * d + in] = 1;
            for (int k = 0; k < e; k++) y[r * e + k] = (float) contributions.norm(t, k);
            r++;
        }
        float[] xtx = mm.transposedProduct(x, fit, d, x, d);
        float[] xty = mm.transposedProduct(x, fit, d, y, e);
        double[] a = new double[d * d];
        double[] b = new double[d * e];
        for (int i = 0; i < a.length; i++) a[i] = xtx[i];
        for (int i = 0; i < b.length; i++) b[i] = xty[i];
        double diag = 0;
        for (int i = 0; i < in; i++) diag += a[i * d + i];
        double penalty = lambda * diag / in + 1e-6;
        for (int i = 0; i < in; i++) a[i * d + i] += penalty;
        double[] sol = Cholesky.solve(a, b, d, e);
        float[] rw = new float[in * e];
        float[] rb = new float[e];
        for (int f = 0; f < in; f++) for (int k = 0; k < e; k++) rw[f * e + k] = (float) sol[f * e + k];
        for (int k = 0; k < e; k++) rb[k] = (float) sol[in * e + k];
        return new Router(Moe.RouterKind.RIDGE, in, e, rw, rb);
    }

    /** The scores of token {@code t} of {@code x} ({@code tokens × in}). */
    double[] scores(float[] x, int t) {
        double[] s = new double[experts];
        for (int k = 0; k < experts; k++) s[k] = bias[k];
        for (int f = 0; f < in; f++) {
            double v = x[t * in + f];
            if (v == 0) continue;
            for (int k = 0; k < experts; k++) s[k] += v * weights[f * experts + k];
        }
        return s;
    }
}
