package dev.tailor.passes.moe;

/**
 * Where the hidden neurons go after conversion: new neuron {@code i} is old neuron {@code order[i]}; the first
 * {@code shared} form the always-on shared expert, then each routed expert is a contiguous slice of
 * {@code expertSize} neurons.
 */
record Layout(int[] order, int shared, int experts, int expertSize) {

    int start(int expert) {
        return shared + expert * expertSize;
    }

    int end(int expert) {
        return start(expert) + expertSize;
    }

    int width() {
        return order.length;
    }

    /**
     * The shared expert's size for a fraction of {@code width}: rounded, then lowered until the rest splits into
     * {@code experts} equal slices; -1 when no size does.
     */
    static int sharedSize(int width, int experts, double fraction) {
        for (int s = (int) Math.round(fraction * width); s >= 0; s--)
            if ((width - s) % experts == 0 && width - s >= experts) return s;
        return -1;
    }
}
