package dev.tailor.compiler.text;

/**
 * Exact numbers in text. Floats are printed as the shortest decimal that reads back to the same bits (found by
 * shortening Java's round-trip representation one digit at a time), always with a decimal point or an exponent so
 * that the syntax reads them as floats; the special values as {@code inf}, {@code -inf}, {@code nan} and
 * {@code -nan}. Reading follows C's {@code strtof}/{@code strtod} as onnx's parser uses them: correctly rounded,
 * {@code nan} is the quiet NaN with a clear sign bit.
 */
final class Numbers {
    private Numbers() {}

    static final int FLOAT_NAN = 0x7fc00000;
    static final int FLOAT_NEG_NAN = 0xffc00000;
    static final long DOUBLE_NAN = 0x7ff8000000000000L;
    static final long DOUBLE_NEG_NAN = 0xfff8000000000000L;

    /** True when {@link #formatFloat} can print {@code f} exactly (every value but NaNs with a payload). */
    static boolean printable(float f) {
        int bits = Float.floatToRawIntBits(f);
        return !Float.isNaN(f) || bits == FLOAT_NAN || bits == FLOAT_NEG_NAN;
    }

    static boolean printable(double d) {
        long bits = Double.doubleToRawLongBits(d);
        return !Double.isNaN(d) || bits == DOUBLE_NAN || bits == DOUBLE_NEG_NAN;
    }

    /** Nonzero values below the smallest normal float, which C's strtof reports as out of range. */
    static boolean subnormal(float f) {
        return f != 0 && Math.abs(f) < Float.MIN_NORMAL;
    }

    static boolean subnormal(double d) {
        return d != 0 && Math.abs(d) < Double.MIN_NORMAL;
    }

    static String formatFloat(float f) {
        if (Float.isNaN(f)) return Float.floatToRawIntBits(f) < 0 ? "-nan" : "nan";
        if (Float.isInfinite(f)) return f > 0 ? "inf" : "-inf";
        String s = shortest(Float.toString(Math.abs(f)), Math.abs(f), true);
        return (Float.floatToRawIntBits(f) < 0 ? "-" : "") + s;
    }

    static String formatDouble(double d) {
        if (Double.isNaN(d)) return Double.doubleToRawLongBits(d) < 0 ? "-nan" : "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        String s = shortest(Double.toString(Math.abs(d)), Math.abs(d), false);
        return (Double.doubleToRawLongBits(d) < 0 ? "-" : "") + s;
    }

    /**
     * Shortens Java's representation of |x| while it still reads back to x. A shorter decimal in the rounding
     * interval is one of the two that bracket the current one at one digit less, so trying those two at each step
     * finds the shortest. (Java 17 is usually shortest already; the tries are cheap, see {@link #readsBack}.)
     */
    private static String shortest(String javaRepr, double x, boolean isFloat) {
        // javaRepr is "ddd.ddd" or "d.dddE[-]n": integer digits times a power of ten
        long digits = 0;
        int pow = 0;
        boolean fraction = false;
        int i = 0;
        for (; i < javaRepr.length(); i++) {
            char c = javaRepr.charAt(i);
            if (c == '.') {
                fraction = true;
            } else if (c == 'E') {
                pow += Integer.parseInt(javaRepr.substring(i + 1));
                break;
            } else {
                digits = digits * 10 + (c - '0');
                if (fraction) pow--;
            }
        }
        if (digits == 0) return "0.0";
        while (digits % 10 == 0) {
            digits /= 10;
            pow++;
        }
        boolean shortened = false;
        while (digits >= 10) {
            long cut = digits / 10;
            boolean roundUp = digits % 10 >= 5;
            long first = roundUp ? cut + 1 : cut;
            long second = roundUp ? cut : cut + 1;
            long found = readsBack(first, pow + 1, x, isFloat) ? first
                    : readsBack(second, pow + 1, x, isFloat) ? second : -1;
            if (found < 0) break;
            digits = found;
            pow++;
            shortened = true;
            while (digits % 10 == 0) {
                digits /= 10;
                pow++;
            }
        }
        String out = layout(Long.toString(digits), pow, isFloat ? 9 : 17);
        if (shortened && !readsBack(out, x, isFloat))
            throw new IllegalStateException("cannot print " + x + " exactly (got " + out + ")");
        return out;
    }

    private static final double[] POW10 = new double[23];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) POW10[i] = POW10[i - 1] * 10;
    }

    /**
     * Whether digits × 10^pow reads back to x, decided exactly. Fast path: for at most 15 digits and a power of ten
     * within ±22, one multiplication or division of exact doubles gives the correctly rounded double (Clinger);
     * for a float, rounding that double again is exact unless it lies within a double ulp of a midpoint between
     * two floats, which goes to the exact parser.
     */
    private static boolean readsBack(long digits, int pow, double x, boolean isFloat) {
        Double fast = fast(digits, pow);
        if (fast != null) {
            double c = fast;
            if (!isFloat) return c == x;
            Float f = toFloat(c);
            if (f != null) return f == (float) x;
        }
        return readsBack(digits + "E" + pow, x, isFloat);
    }

    /** digits × 10^pow correctly rounded to double, or null outside the exact fast path. */
    private static Double fast(long digits, int pow) {
        if (digits >= (1L << 53) || pow < -22 || pow > 22) return null;
        return pow >= 0 ? digits * POW10[pow] : digits / POW10[-pow];
    }

    /** The float nearest the exact value whose correctly rounded double is c, or null when that is in doubt. */
    private static Float toFloat(double c) {
        float f = (float) c;
        if (f == c) return f;
        if (Float.isInfinite(f) || Math.abs(c) < Float.MIN_NORMAL) return null;
        float other = c > f ? Math.nextUp(f) : Math.nextDown(f);
        double mid = ((double) f + (double) other) / 2; // exact: floats have 24 bits, doubles 53
        return Math.abs(c - mid) > Math.ulp(c) ? f : null;
    }

    private static boolean readsBack(String text, double x, boolean isFloat) {
        if (isFloat) return Float.floatToRawIntBits(Float.parseFloat(text)) == Float.floatToRawIntBits((float) x);
        return Double.doubleToRawLongBits(Double.parseDouble(text)) == Double.doubleToRawLongBits(x);
    }

    /** digits × 10^pow as plain decimal when the exponent is moderate, else as d.ddde±n. */
    private static String layout(String digits, int pow, int maxPlain) {
        int n = digits.length();
        int lead = pow + n - 1; // decimal exponent of the first digit
        if (lead >= -5 && lead < maxPlain) {
            if (pow >= 0) return digits + "0".repeat(pow) + ".0";
            int point = n + pow;
            if (point > 0) return digits.substring(0, point) + "." + digits.substring(point);
            return "0." + "0".repeat(-point) + digits;
        }
        String m = n == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return m + "e" + lead;
    }

    // ---- reading

    /** Reads a float literal token (INT, FLOAT or a special word); null when it is out of range. */
    static Float parseFloat(String text) {
        return parseFloat(text, 0, text.length());
    }

    /** {@link #parseFloat(String)} on {@code s[start, end)}, without making a string in the common case. */
    static Float parseFloat(CharSequence s, int start, int end) {
        double d = decimal(s, start, end);
        if (!Double.isNaN(d)) {
            Float f = toFloat(d);
            if (f != null) return f;
        }
        String text = s.subSequence(start, end).toString();
        Float special = specialFloat(text);
        if (special != null) return special;
        float f = Float.parseFloat(text);
        return Float.isInfinite(f) ? null : f;
    }

    static Double parseDouble(CharSequence s, int start, int end) {
        double d = decimal(s, start, end);
        return !Double.isNaN(d) ? d : parseDouble(s.subSequence(start, end).toString());
    }

    /**
     * The correctly rounded double of a decimal literal ({@code -?digits(.digits)?(e[+-]?digits)?}) when the exact
     * fast path applies (at most 15 significant digits, a power of ten within ±22), else NaN.
     */
    private static double decimal(CharSequence s, int start, int end) {
        int i = start;
        boolean neg = i < end && s.charAt(i) == '-';
        if (neg) i++;
        long digits = 0;
        int significant = 0;
        int pow = 0;
        boolean any = false;
        boolean fraction = false;
        for (; i < end; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                any = true;
                if (digits != 0 || c != '0') {
                    if (++significant > 15) return Double.NaN;
                    digits = digits * 10 + (c - '0');
                }
                if (fraction) pow--;
            } else if (c == '.' && !fraction) {
                fraction = true;
            } else {
                break;
            }
        }
        if (!any) return Double.NaN;
        if (i < end) {
            char c = s.charAt(i);
            if (c != 'e' && c != 'E') return Double.NaN;
            i++;
            boolean negExp = i < end && s.charAt(i) == '-';
            if (i < end && (s.charAt(i) == '-' || s.charAt(i) == '+')) i++;
            if (i >= end || end - i > 4) return Double.NaN;
            int e = 0;
            for (; i < end; i++) {
                char d = s.charAt(i);
                if (d < '0' || d > '9') return Double.NaN;
                e = e * 10 + (d - '0');
            }
            pow += negExp ? -e : e;
        }
        if (digits == 0) return neg ? -0.0 : 0.0;
        Double v = fast(digits, pow);
        if (v == null) return Double.NaN;
        return neg ? -v : v;
    }

    static Double parseDouble(String text) {
        String l = text.toLowerCase(java.util.Locale.ROOT);
        boolean neg = l.startsWith("-");
        String w = neg ? l.substring(1) : l;
        if (w.equals("nan")) return Double.longBitsToDouble(neg ? DOUBLE_NEG_NAN : DOUBLE_NAN);
        if (w.equals("inf") || w.equals("infinity")) return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        double d = Double.parseDouble(text);
        return Double.isInfinite(d) ? null : d;
    }

    private static Float specialFloat(String text) {
        char c = text.charAt(text.length() - 1);
        if (c >= '0' && c <= '9' || c == '.') return null;
        String l = text.toLowerCase(java.util.Locale.ROOT);
        boolean neg = l.startsWith("-");
        String w = neg ? l.substring(1) : l;
        if (w.equals("nan")) return Float.intBitsToFloat(neg ? FLOAT_NEG_NAN : FLOAT_NAN);
        if (w.equals("inf") || w.equals("infinity")) return neg ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        return null;
    }
}
