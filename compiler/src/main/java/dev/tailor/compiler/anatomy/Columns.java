package dev.tailor.compiler.anatomy;

/**
 * The output features (columns) of a fused weight that belong to one role: {@code count} runs of {@code length}
 * features, the first starting at {@code start} and each {@code stride} after the previous. A contiguous part
 * (the q third of GPT-2's {@code c_attn}) has {@code count == 1}; per-head interleaved packing (q, k and v of each
 * head side by side, as in MultiHeadAttention's packed QKV) has one run per head.
 */
public record Columns(long start, long length, long stride, long count) {
    public Columns {
        if (start < 0 || length <= 0 || count <= 0 || (count > 1 && stride < length))
            throw new IllegalArgumentException("bad columns " + start + "+" + length + " every " + stride + " x"
                    + count);
    }

    /** {@code [start, start + length)}. */
    public static Columns range(long start, long length) {
        return new Columns(start, length, length, 1);
    }

    /** How many features the part has. */
    public long width() {
        return length * count;
    }

    public boolean isContiguous() {
        return count == 1 || stride == length;
    }

    /** True when feature {@code i} of the whole tensor belongs to the part. */
    public boolean contains(long i) {
        if (i < start) return false;
        long run = (i - start) / stride;
        return run < count && (i - start) % stride < length;
    }

    @Override
    public String toString() {
        if (isContiguous()) return start + ".." + (start + width());
        return start + ".." + (start + length) + " every " + stride + " x" + count;
    }
}
