package dev.tailor.runtime.data;

import java.util.Locale;

/**
 * Which lines of a text file to use: 1-based and inclusive, as in {@code 1..3000}; {@code to} is
 * {@link Integer#MAX_VALUE} for a range open at the end ({@code 3001..}).
 *
 * <p>The shared corpus {@code shared/data/calibration-sentences.txt} has a fixed split, so that what a pass is
 * tuned on is never what it is judged on: {@link #CALIBRATION} (its first 3,000 lines) and {@link #EVALUATION}
 * (its last 1,000).
 */
public record LineRange(int from, int to) {
    public static final LineRange ALL = new LineRange(1, Integer.MAX_VALUE);
    /** The first 3,000 lines of the shared corpus: calibration. */
    public static final LineRange CALIBRATION = new LineRange(1, 3000);
    /** The last 1,000 lines of the shared corpus: evaluation. */
    public static final LineRange EVALUATION = new LineRange(3001, 4000);

    public LineRange {
        if (from < 1) throw new IllegalArgumentException("line ranges start at line 1, not " + from);
        if (to < from) throw new IllegalArgumentException("line range " + from + ".." + to + " is empty");
    }

    /**
     * Parses {@code FROM..TO}, {@code FROM..} (to the end), a single line {@code N}, or the names
     * {@code calibration} and {@code evaluation} (the shared corpus's split).
     */
    public static LineRange parse(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.equals("calibration")) return CALIBRATION;
        if (s.equals("evaluation")) return EVALUATION;
        if (s.equals("all")) return ALL;
        try {
            int dots = s.indexOf("..");
            if (dots < 0) {
                int line = Integer.parseInt(s);
                return new LineRange(line, line);
            }
            int from = Integer.parseInt(s.substring(0, dots).strip());
            String rest = s.substring(dots + 2).strip();
            return new LineRange(from, rest.isEmpty() ? Integer.MAX_VALUE : Integer.parseInt(rest));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a line range (FROM..TO, FROM.., N, "
                    + "calibration or evaluation)");
        }
    }

    public boolean isOpen() {
        return to == Integer.MAX_VALUE;
    }

    @Override
    public String toString() {
        return from + ".." + (isOpen() ? "" : Integer.toString(to));
    }
}
