package dev.tailor.report;

import java.util.Locale;

/** Number formats shared by the renderers (and the tools' summaries). */
public final class Numbers {
    private Numbers() {}

    /** 22713216 as "22.71 M"; small numbers as they are. */
    public static String count(long n) {
        if (Math.abs(n) < 10_000) return Long.toString(n);
        if (Math.abs(n) < 10_000_000) return String.format(Locale.ROOT, "%.2f k", n / 1e3);
        if (Math.abs(n) < 10_000_000_000L) return String.format(Locale.ROOT, "%.2f M", n / 1e6);
        return String.format(Locale.ROOT, "%.2f G", n / 1e9);
    }

    /** 1536 as "1.5 KiB". */
    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        if (n < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
    }

    /** The change from {@code a} to {@code b} in percent, as "-26.7%", or "" when {@code a} is 0. */
    static String percent(long a, long b) {
        if (a == 0) return "";
        return String.format(Locale.ROOT, "%+.1f%%", 100.0 * (b - a) / a);
    }

    static long flops(DiffReport.Side s) {
        return s.flops() == null ? 0 : s.flops().perToken();
    }

    static String flopsText(DiffReport.Side s) {
        return s.flops() == null ? "-" : count(s.flops().perToken());
    }

    static String metric(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    static String flopRule(DiffReport r) {
        int seq = r.before().flops() != null ? r.before().flops().sequenceLength()
                : r.after().flops() != null ? r.after().flops().sequenceLength() : GraphDiff.DEFAULT_SEQUENCE_LENGTH;
        return "FLOPs per token (per sequence position): 2 x output elements x reduced size of every MatMul, Gemm, "
                + "Conv and int8 product (MatMulInteger, DynamicQuantizeMatMul, MatMulIntegerToFloat), at batch 1 and sequence length " + seq + ", divided by " + seq + "; other ops not counted.";
    }
}
