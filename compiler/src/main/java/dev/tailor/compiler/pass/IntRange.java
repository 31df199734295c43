package dev.tailor.compiler.pass;

/** An inclusive range of integers, written {@code 6..11} in pipelines (a single {@code 7} is {@code 7..7}). */
public record IntRange(int from, int to) {
    public IntRange {
        if (from > to) throw new IllegalArgumentException("range " + from + ".." + to + " is empty");
    }

    /** Every non-negative integer: the default of "which blocks" options. */
    public static final IntRange ALL = new IntRange(0, Integer.MAX_VALUE);

    public boolean contains(int i) {
        return i >= from && i <= to;
    }

    @Override
    public String toString() {
        return from == to ? Integer.toString(from) : from + ".." + (to == Integer.MAX_VALUE ? "" : Integer.toString(to));
    }
}
