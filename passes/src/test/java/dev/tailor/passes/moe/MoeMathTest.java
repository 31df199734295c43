package dev.tailor.passes.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The numerical pieces of the moe pass that need no runtime: balanced clustering, the solver, shared sizes. */
class MoeMathTest {

    @Test
    void balancedKMeansFindsPlantedGroupsOfEqualSize() {
        // 4 directions, 12 noisy points around each, shuffled: every cluster must be exactly one direction.
        Random rnd = new Random(7);
        int k = 4, per = 12, dim = 16;
        float[][] centres = new float[k][dim];
        for (int c = 0; c < k; c++) centres[c][c * 3] = 1;
        float[][] points = new float[k * per][];
        int[] truth = new int[k * per];
        for (int i = 0; i < points.length; i++) {
            int c = (i * 7) % k;
            truth[i] = c;
            points[i] = new float[dim];
            for (int f = 0; f < dim; f++) points[i][f] = centres[c][f] + (float) (0.1 * rnd.nextGaussian());
        }
        int[] got = BalancedKMeans.cluster(points, k, 30, 0);
        int[] size = new int[k];
        for (int g : got) size[g]++;
        assertArrayEquals(new int[] {per, per, per, per}, size);
        for (int i = 0; i < points.length; i++)
            for (int j = 0; j < points.length; j++)
                assertEquals(truth[i] == truth[j], got[i] == got[j], "points " + i + " and " + j);
    }

    @Test
    void balancedKMeansKeepsSizesEqualWhenTheDataIsLopsided() {
        // Most points near one direction: the balanced assignment still gives every cluster n / k points.
        Random rnd = new Random(3);
        float[][] points = new float[64][8];
        for (float[] p : points) {
            p[0] = 1;
            for (int f = 1; f < 8; f++) p[f] = (float) (0.05 * rnd.nextGaussian());
        }
        int[] got = BalancedKMeans.cluster(points, 8, 30, 1);
        int[] size = new int[8];
        for (int g : got) size[g]++;
        for (int s : size) assertEquals(8, s);
    }

    @Test
    void choleskySolvesAPositiveDefiniteSystem() {
        double[] a = {4, 2, 0.4, 2, 5, 1, 0.4, 1, 3};
        double[] x = {1, -2, 0.5, 3, 2, -1};
        double[] b = new double[6];
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < 2; c++)
                for (int k = 0; k < 3; k++) b[i * 2 + c] += a[i * 3 + k] * x[k * 2 + c];
        double[] got = Cholesky.solve(a.clone(), b, 3, 2);
        for (int i = 0; i < 6; i++) assertEquals(x[i], got[i], 1e-9);
    }

    @Test
    void sharedSizeLeavesEqualRoutedExperts() {
        assertEquals(384, Layout.sharedSize(1536, 8, 0.25));
        assertEquals(0, Layout.sharedSize(1536, 8, 0));
        // 176 * 0.25 = 44 leaves 132, not a multiple of 8; 40 leaves 136 = 8 * 17.
        assertEquals(40, Layout.sharedSize(176, 8, 0.25));
        assertTrue(Layout.sharedSize(10, 8, 0) < 0);
    }

    @Test
    void gateWeightsAreOneOrTheSoftmaxOfThePicked() {
        double[] s = {0.5, 2.0, -1.0, 1.0};
        boolean[] picked = RouterQuality.top(s, 2);
        assertArrayEquals(new boolean[] {false, true, false, true}, picked);
        assertArrayEquals(new double[] {0, 1, 0, 1}, RouterQuality.weights(s, picked, false), 0);
        double[] w = RouterQuality.weights(s, picked, true);
        assertEquals(1 / (1 + Math.exp(-1)), w[1], 1e-12);
        assertEquals(1, w[1] + w[3], 1e-12);
    }
}
