package dev.tailor.passes.moe;

import java.util.Arrays;

/**
 * How well a router does on the held-out calibration tokens of one FFN: {@code accuracy}, the mean share of the
 * {@code top_k} experts with the largest true contribution that the router picks; {@code relativeError} and
 * {@code cosine} of the converted FFN's output (shared expert plus the picked experts, weighted, plus the mean
 * contribution of the others when compensating) against the dense FFN's (biases left out: both keep them).
 */
record RouterQuality(double accuracy, double relativeError, double cosine, int tokens) {

    /** @param means each expert's mean contribution, added when it is not picked (compensation), or null */
    static RouterQuality measure(Router router, Activations acts, Contributions c, int topK, boolean softmax,
                                 float[] means) {
        int e = c.experts(), out = c.out();
        double hits = 0, errSq = 0, fullSq = 0, cosSum = 0;
        int n = 0;
        for (int t = 0; t < acts.tokens(); t++) {
            if (!Activations.heldOut(t)) continue;
            double[] s = router.scores(acts.x(), t);
            boolean[] picked = top(s, topK);
            double[] norms = new double[e];
            for (int k = 0; k < e; k++) norms[k] = c.norm(t, k);
            boolean[] best = top(norms, topK);
            int overlap = 0;
            for (int k = 0; k < e; k++) if (picked[k] && best[k]) overlap++;
            hits += (double) overlap / topK;
            double[] w = weights(s, picked, softmax);
            double dot = 0, nf = 0, nm = 0, dd = 0;
            for (int o = 0; o < out; o++) {
                double full = c.component(t, e, o), moe = full;
                for (int k = 0; k < e; k++) {
                    float v = c.component(t, k, o);
                    full += v;
                    moe += w[k] * v;
                    if (means != null) moe += (1 - w[k]) * means[k * out + o];
                }
                dot += full * moe;
                nf += full * full;
                nm += moe * moe;
                dd += (full - moe) * (full - moe);
            }
            errSq += dd;
            fullSq += nf;
            cosSum += nf == 0 || nm == 0 ? (nf == nm ? 1 : 0) : dot / Math.sqrt(nf * nm);
            n++;
        }
        return new RouterQuality(n == 0 ? Double.NaN : hits / n, fullSq == 0 ? 0 : Math.sqrt(errSq / fullSq),
                n == 0 ? Double.NaN : cosSum / n, n);
    }

    /** The {@code k} largest entries (ties to the lower index, as TopK). */
    static boolean[] top(double[] s, int k) {
        Integer[] idx = new Integer[s.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> s[b] != s[a] ? Double.compare(s[b], s[a]) : Integer.compare(a, b));
        boolean[] m = new boolean[s.length];
        for (int i = 0; i < k; i++) m[idx[i]] = true;
        return m;
    }

    /** Gate weights: 1 for picked experts, or the softmax of their scores (renormalised over the picked). */
    static double[] weights(double[] s, boolean[] picked, boolean softmax) {
        double[] w = new double[s.length];
        if (!softmax) {
            for (int k = 0; k < s.length; k++) w[k] = picked[k] ? 1 : 0;
            return w;
        }
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int k = 0; k < s.length; k++) if (picked[k]) max = Math.max(max, s[k]);
        for (int k = 0; k < s.length; k++) if (picked[k]) sum += w[k] = Math.exp(s[k] - max);
        for (int k = 0; k < s.length; k++) w[k] /= sum;
        return w;
    }
}
