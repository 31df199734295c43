package dev.tailor.passes.moe;

/** Solves A·X = B for a symmetric positive definite A (the ridge router's normal equations). */
final class Cholesky {
    private Cholesky() {}

    /** {@code a}: n × n row-major (overwritten), {@code b}: n × m; returns X (n × m). */
    static double[] solve(double[] a, double[] b, int n, int m) {
        for (int j = 0; j < n; j++) {
            double s = a[j * n + j];
            for (int k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
            if (s <= 0) throw new ArithmeticException("matrix is not positive definite at row " + j);
            double l = Math.sqrt(s);
            a[j * n + j] = l;
            for (int i = j + 1; i < n; i++) {
                double v = a[i * n + j];
                for (int k = 0; k < j; k++) v -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = v / l;
            }
        }
        double[] x = b.clone();
        for (int c = 0; c < m; c++) {
            for (int i = 0; i < n; i++) {
                double v = x[i * m + c];
                for (int k = 0; k < i; k++) v -= a[i * n + k] * x[k * m + c];
                x[i * m + c] = v / a[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--) {
                double v = x[i * m + c];
                for (int k = i + 1; k < n; k++) v -= a[k * n + i] * x[k * m + c];
                x[i * m + c] = v / a[i * n + i];
            }
        }
        return x;
    }
}
