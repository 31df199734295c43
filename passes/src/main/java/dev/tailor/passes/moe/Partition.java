package dev.tailor.passes.moe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Splits an FFN's hidden neurons into a shared expert and equal routed experts. Shared neurons are the most
 * important by E[a_j²]·‖W2[j,:]‖² (the gradient-free stand-in for Dense2MoE's Taylor score). The routed ones are
 * clustered by balanced k-means, either on their normalised up (and gate) weight vectors (MoEfication's
 * parameter clustering) or on their normalised activation magnitudes over calibration tokens (co-activation:
 * neurons that fire on the same tokens land in one expert).
 */
final class Partition {
    private Partition() {}

    /** Neurons of the recorded activations used for co-activation clustering at most. */
    private static final int COACTIVATION_TOKENS = 2048;

    /** Importance of each neuron (old order): E[a_j²]·‖W2[j,:]‖². */
    static double[] importance(Activations acts, float[] w2, int out) {
        double[] ms = acts.meanSquares();
        double[] imp = new double[acts.width()];
        for (int j = 0; j < imp.length; j++) {
            double n = 0;
            for (int o = 0; o < out; o++) n += (double) w2[j * out + o] * w2[j * out + o];
            imp[j] = ms[j] * n;
        }
        return imp;
    }

    /**
     * @param importance per-neuron importance (old order), or null when {@code shared} is 0
     * @param acts       recorded activations; needed for co-activation clustering, else may be null
     */
    static Layout build(FfnSite site, int experts, int shared, double[] importance, Moe.Clustering clustering,
                        Activations acts, int iterations, long seed) {
        int width = site.width;
        Integer[] byImportance = new Integer[width];
        for (int j = 0; j < width; j++) byImportance[j] = j;
        if (shared > 0) Arrays.sort(byImportance, Comparator.comparingDouble(j -> -importance[j]));
        boolean[] isShared = new boolean[width];
        int[] order = new int[width];
        for (int i = 0; i < shared; i++) {
            order[i] = byImportance[i];
            isShared[byImportance[i]] = true;
        }
        List<Integer> routed = new ArrayList<>();
        for (int j = 0; j < width; j++) if (!isShared[j]) routed.add(j);
        float[][] features = new float[routed.size()][];
        for (int r = 0; r < routed.size(); r++)
            features[r] = clustering == Moe.Clustering.COACTIVATION ? coactivation(acts, routed.get(r))
                    : weightFeatures(site, routed.get(r));
        int[] cluster = BalancedKMeans.cluster(features, experts, iterations, seed);
        int size = routed.size() / experts;
        int[] filled = new int[experts];
        for (int r = 0; r < routed.size(); r++) {
            int e = cluster[r];
            order[shared + e * size + filled[e]++] = routed.get(r);
        }
        return new Layout(order, shared, experts, size);
    }

    /** The neuron's up column, normalised, followed by its normalised gate column for a gated FFN. */
    private static float[] weightFeatures(FfnSite site, int j) {
        float[] up = column(site.upWeights(), site.in, site.width, j);
        float[] gate = site.gate == null ? null : column(site.gateWeights(), site.in, site.width, j);
        if (gate == null) return up;
        float[] f = new float[2 * site.in];
        double[] u = BalancedKMeans.unit(up), g = BalancedKMeans.unit(gate);
        for (int i = 0; i < site.in; i++) {
            f[i] = (float) u[i];
            f[site.in + i] = (float) g[i];
        }
        return f;
    }

    private static float[] coactivation(Activations acts, int j) {
        int t = Math.min(acts.tokens(), COACTIVATION_TOKENS);
        float[] f = new float[t];
        for (int i = 0; i < t; i++) f[i] = Math.abs(acts.a()[i * acts.width() + j]);
        return f;
    }

    static float[] column(float[] m, int rows, int cols, int j) {
        float[] c = new float[rows];
        for (int i = 0; i < rows; i++) c[i] = m[i * cols + j];
        return c;
    }
}
