package dev.tailor.passes.moe;

/**
 * Calibration tokens recorded at one FFN: its input {@code x} ({@code tokens × in}) and hidden activation
 * {@code a} ({@code tokens × width}, the down projection's input), in the original neuron order. Token {@code t}
 * is held out (for router accuracy and fidelity) when {@code t % 4 == 3}; routers are fitted on the rest.
 */
record Activations(int tokens, int in, int width, float[] x, float[] a) {

    static boolean heldOut(int t) {
        return t % 4 == 3;
    }

    /** E[a_j²] over all recorded tokens. */
    double[] meanSquares() {
        double[] m = new double[width];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < width; j++) {
                double v = a[t * width + j];
                m[j] += v * v;
            }
        for (int j = 0; j < width; j++) m[j] /= Math.max(1, tokens);
        return m;
    }
}
