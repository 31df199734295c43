package dev.tailor.passes.moe;

import java.util.Arrays;
import java.util.Random;

/**
 * k-means on the unit sphere (cosine similarity) whose clusters all have the same size: each assignment step sorts
 * every (point, centroid) pair by similarity and gives each point the most similar centroid that still has room,
 * the greedy balanced assignment used for MoEfication-style expert splits. Seeded k-means++ start; deterministic.
 */
final class BalancedKMeans {
    private BalancedKMeans() {}

    /**
     * @param points n rows of {@code dim} features (normalised here; a zero row stays zero)
     * @return each point's cluster in {@code [0, k)}, exactly {@code n / k} points per cluster
     */
    static int[] cluster(float[][] points, int k, int iterations, long seed) {
        int n = points.length;
        if (n % k != 0) throw new IllegalArgumentException(n + " points do not split into " + k + " equal clusters");
        int dim = points[0].length;
        double[][] p = new double[n][];
        for (int i = 0; i < n; i++) p[i] = unit(points[i]);
        double[][] c = plusPlus(p, k, new Random(seed));
        int[] assign = new int[n];
        Arrays.fill(assign, -1);
        for (int it = 0; it < iterations; it++) {
            int[] next = assign(p, c, n / k);
            boolean same = Arrays.equals(next, assign);
            assign = next;
            if (same) break;
            for (int j = 0; j < k; j++) c[j] = new double[dim];
            for (int i = 0; i < n; i++) for (int f = 0; f < dim; f++) c[assign[i]][f] += p[i][f];
            for (int j = 0; j < k; j++) c[j] = unit(c[j]);
        }
        return assign;
    }

    private static int[] assign(double[][] p, double[][] c, int capacity) {
        int n = p.length, k = c.length;
        double[] sim = new double[n * k];
        for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) sim[i * k + j] = dot(p[i], c[j]);
        Integer[] idx = new Integer[n * k];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(sim[b], sim[a]));
        int[] out = new int[n];
        Arrays.fill(out, -1);
        int[] size = new int[k];
        for (int q : idx) {
            int i = q / k, j = q % k;
            if (out[i] >= 0 || size[j] >= capacity) continue;
            out[i] = j;
            size[j]++;
        }
        return out;
    }

    /** k-means++ seeding with cosine distance 1 − cos. */
    private static double[][] plusPlus(double[][] p, int k, Random rnd) {
        int n = p.length;
        double[][] c = new double[k][];
        c[0] = p[rnd.nextInt(n)].clone();
        double[] best = new double[n];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        for (int j = 1; j < k; j++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                best[i] = Math.min(best[i], Math.max(0, 1 - dot(p[i], c[j - 1])));
                total += best[i] * best[i];
            }
            double r = rnd.nextDouble() * total;
            int pick = n - 1;
            for (int i = 0; i < n; i++) {
                r -= best[i] * best[i];
                if (r <= 0) {
                    pick = i;
                    break;
                }
            }
            c[j] = p[pick].clone();
        }
        return c;
    }

    static double[] unit(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return unit(d);
    }

    static double[] unit(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        double norm = Math.sqrt(s);
        if (norm == 0) return v;
        for (int i = 0; i < v.length; i++) v[i] /= norm;
        return v;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
