package dev.tailor.passes.lora;

/**
 * One low-rank update {@code ΔW = scale · B·A} of a site, in PEFT's layout: {@code a} is {@code [rank, in]} and
 * {@code b} is {@code [site.width(), rank]}, both row-major.
 */
record LoraUpdate(LoraSite site, float[] a, float[] b, int rank, double scale) {

    /** Aᵀ, {@code [in, rank]}: the first matrix of the branch {@code x·Aᵀ·Bᵀ} in ONNX's layout. */
    float[] aTransposed() {
        int in = (int) site.in();
        float[] t = new float[in * rank];
        for (int k = 0; k < rank; k++) for (int i = 0; i < in; i++) t[i * rank + k] = a[k * in + i];
        return t;
    }

    /** Bᵀ spread over the whole matrix's outputs, {@code [rank, site.out()]}: zero outside the site's columns. */
    float[] bTransposed() {
        int out = (int) site.out();
        int[] cols = columns();
        float[] t = new float[rank * out];
        for (int j = 0; j < cols.length; j++) for (int k = 0; k < rank; k++) t[k * out + cols[j]] = b[j * rank + k];
        return t;
    }

    /**
     * The merged weight: the stored matrix plus {@code scale · (B·A)ᵀ} in its layout ({@code [in, out]}, or
     * {@code [out, in]} for Gemm with transB), divided by Gemm's alpha, which scales the whole product. Sums in
     * double, rounded once.
     */
    float[] merge(float[] w) {
        int in = (int) site.in();
        int out = (int) site.out();
        int[] cols = columns();
        double s = scale / site.alpha();
        float[] merged = w.clone();
        for (int j = 0; j < cols.length; j++) {
            for (int i = 0; i < in; i++) {
                double d = 0;
                for (int k = 0; k < rank; k++) d += (double) b[j * rank + k] * a[k * in + i];
                int at = site.transposed() ? cols[j] * in + i : i * out + cols[j];
                merged[at] = (float) (w[at] + s * d);
            }
        }
        return merged;
    }

    /** The output features of the whole matrix that row j of B updates. */
    private int[] columns() {
        int[] cols = new int[(int) site.width()];
        if (site.columns() == null) {
            for (int j = 0; j < cols.length; j++) cols[j] = j;
            return cols;
        }
        int j = 0;
        for (long c = 0; c < site.out() && j < cols.length; c++) if (site.columns().contains(c)) cols[j++] = (int) c;
        return cols;
    }
}
