package dev.tailor.runtime;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Floats;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Numeric comparison of IR tensors, in the manner of {@code numpy.testing.assert_allclose}: an element of
 * {@code actual} matches its counterpart in {@code expected} when {@code |actual - expected| <= atol + rtol *
 * |expected|}. Equal values always match (so do infinities of the same sign, and integers compared exactly even
 * beyond 2^53), and NaN matches NaN whatever its payload.
 *
 * <p>Decoded element types: FLOAT, DOUBLE, FLOAT16, BFLOAT16, BOOL and the signed and unsigned 8/16/32/64-bit
 * integers. STRING tensors compare for equality. Any other type with a raw byte form (complex, 8-bit and 4-bit
 * floats, packed 4/2-bit integers) is compared byte for byte, with each differing byte counted as a mismatch.
 */
public final class Comparison {
    private Comparison() {}

    /**
     * The outcome of {@link #allClose}.
     *
     * @param problem        why the tensors could not be compared element by element (different types or
     *                       shapes), or null
     * @param elements       elements compared
     * @param mismatches     elements outside the tolerance
     * @param maxAbsError    largest {@code |actual - expected|}, NaN-against-NaN counting as 0 (NaN against a
     *                       number is a mismatch but leaves this unchanged)
     * @param firstMismatch  the multi-dimensional index of the first mismatching element, or null
     * @param firstActual    the actual value there, as text (a decoded number, a quoted string, or a byte in hex
     *                       for types compared byte for byte); null if all match
     * @param firstExpected  the expected value there, as text; null if all match
     */
    public record Result(String problem, long elements, long mismatches, double maxAbsError, long[] firstMismatch,
                         String firstActual, String firstExpected) {
        public boolean passed() {
            return problem == null && mismatches == 0;
        }

        @Override
        public String toString() {
            if (problem != null) return problem;
            if (mismatches == 0) return "all " + elements + " elements match (max abs error " + maxAbsError + ")";
            return mismatches + " of " + elements + " elements differ, max abs error " + maxAbsError
                    + ", first at " + Arrays.toString(firstMismatch) + ": " + firstActual + " vs expected "
                    + firstExpected;
        }
    }

    /**
     * Compares {@code actual} with {@code expected} (which must have the same type and shape) within
     * {@code |a - e| <= atol + rtol * |e|}.
     */
    public static Result allClose(Tensor actual, Tensor expected, double rtol, double atol) {
        if (actual.dataType() != expected.dataType()
                || (actual.dataType() == null && actual.rawDataType() != expected.rawDataType()))
            return problem("element types differ: " + describeType(actual) + " vs expected " + describeType(expected));
        if (!Arrays.equals(actual.dims(), expected.dims()))
            return problem("shapes differ: " + Arrays.toString(actual.dims()) + " vs expected "
                    + Arrays.toString(expected.dims()));
        DataType type = actual.dataType();
        if (type == DataType.STRING) return compareStrings(actual.strings(), expected.strings(), actual.dims());
        if (type == null || !decodable(type)) return compareBytes(actual.bytes(), expected.bytes());

        ByteBuffer a = actual.bytes();
        ByteBuffer e = expected.bytes();
        long n = actual.elementCount();
        int width = type.bits() / 8;
        long mismatches = 0;
        double maxAbs = 0;
        long first = -1;
        for (int i = 0; i < n; i++) {
            if (rawBits(a, i, width) == rawBits(e, i, width)) continue; // identical bits: equal (or the same NaN)
            double x = decode(type, a, i);
            double y = decode(type, e, i);
            boolean match;
            if (type == DataType.INT64 || type == DataType.UINT64) {
                // Different bits are different integers, even where their doubles round to the same value.
                double diff = exactDistance(type, a.getLong(i * 8), e.getLong(i * 8));
                maxAbs = Math.max(maxAbs, diff);
                match = diff <= atol + rtol * Math.abs(y);
            } else if (x == y || (Double.isNaN(x) && Double.isNaN(y))) {
                match = true; // includes +0 vs -0, and NaNs with different payloads
            } else {
                double diff = Math.abs(x - y);
                if (!Double.isNaN(diff)) maxAbs = Math.max(maxAbs, diff);
                match = diff <= atol + rtol * Math.abs(y); // false when diff is NaN (NaN vs a number)
            }
            if (!match) {
                if (first < 0) first = i;
                mismatches++;
            }
        }
        if (first < 0) return new Result(null, n, 0, maxAbs, null, null, null);
        int f = (int) first;
        return new Result(null, n, mismatches, maxAbs, unravel(first, actual.dims()), format(type, a, f),
                format(type, e, f));
    }

    /**
     * Cosine similarity of two numeric tensors with the same number of elements, computed in double: 1 for
     * two all-zero tensors, 0 when only one is all zero, NaN if any element is NaN.
     */
    public static double cosineSimilarity(Tensor a, Tensor b) {
        double[] x = toDoubles(a);
        double[] y = toDoubles(b);
        if (x.length != y.length)
            throw new IllegalArgumentException("tensors have " + x.length + " and " + y.length + " elements");
        double dot = 0, nx = 0, ny = 0;
        for (int i = 0; i < x.length; i++) {
            dot += x[i] * y[i];
            nx += x[i] * x[i];
            ny += y[i] * y[i];
        }
        if (nx == 0 && ny == 0) return 1;
        if (nx == 0 || ny == 0) return 0;
        return dot / (Math.sqrt(nx) * Math.sqrt(ny));
    }

    /** The elements of a numeric tensor as doubles (64-bit integers beyond 2^53 are rounded). */
    public static double[] toDoubles(Tensor t) {
        DataType type = t.dataType();
        if (type == null || !decodable(type))
            throw new UnsupportedOperationException("cannot decode " + describeType(t) + " elements as numbers");
        ByteBuffer b = t.bytes();
        double[] out = new double[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < out.length; i++) out[i] = decode(type, b, i);
        return out;
    }

    /** True for the element types this class decodes into numbers. */
    public static boolean decodable(DataType type) {
        return switch (type) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, BOOL, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64 -> true;
            default -> false;
        };
    }

    /** IEEE 754 binary16 (ONNX FLOAT16) to float, exactly ({@link Floats#halfToFloat}). */
    public static float halfToFloat(short half) {
        return Floats.halfToFloat(half);
    }

    /** bfloat16 to float ({@link Floats#bfloat16ToFloat}). */
    public static float bfloat16ToFloat(short b) {
        return Floats.bfloat16ToFloat(b);
    }

    // ---- internals ----

    private static double decode(DataType type, ByteBuffer b, int i) {
        return switch (type) {
            case FLOAT -> b.getFloat(i * 4);
            case DOUBLE -> b.getDouble(i * 8);
            case FLOAT16 -> halfToFloat(b.getShort(i * 2));
            case BFLOAT16 -> bfloat16ToFloat(b.getShort(i * 2));
            case BOOL -> b.get(i) != 0 ? 1 : 0;
            case INT8 -> b.get(i);
            case UINT8 -> b.get(i) & 0xff;
            case INT16 -> b.getShort(i * 2);
            case UINT16 -> b.getShort(i * 2) & 0xffff;
            case INT32 -> b.getInt(i * 4);
            case UINT32 -> b.getInt(i * 4) & 0xffffffffL;
            case INT64 -> b.getLong(i * 8);
            case UINT64 -> unsignedToDouble(b.getLong(i * 8));
            default -> throw new IllegalStateException(type.toString());
        };
    }

    /** An element as text: integers exactly, floating-point values as their decoded double. */
    private static String format(DataType type, ByteBuffer b, int i) {
        return switch (type) {
            case INT64 -> Long.toString(b.getLong(i * 8));
            case UINT64 -> Long.toUnsignedString(b.getLong(i * 8));
            case DOUBLE -> Double.toString(decode(type, b, i));
            case FLOAT, FLOAT16, BFLOAT16 -> Float.toString((float) decode(type, b, i));
            default -> Long.toString((long) decode(type, b, i));
        };
    }

    private static String quote(String s) {
        return s == null ? "null" : '"' + s + '"';
    }

    /** |x - y| for two different 64-bit integers, rounded once (so never 0). */
    private static double exactDistance(DataType type, long x, long y) {
        if (type == DataType.UINT64) {
            long d = Long.compareUnsigned(x, y) > 0 ? x - y : y - x; // wraps to the exact unsigned distance
            return unsignedToDouble(d);
        }
        try {
            return Math.abs((double) Math.subtractExact(x, y));
        } catch (ArithmeticException overflow) { // distance beyond 2^63: doubles are precise enough
            return Math.abs((double) x - (double) y);
        }
    }

    private static double unsignedToDouble(long v) {
        return v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2.0;
    }

    private static long rawBits(ByteBuffer b, int i, int width) {
        return switch (width) {
            case 1 -> b.get(i);
            case 2 -> b.getShort(i * 2);
            case 4 -> b.getInt(i * 4);
            case 8 -> b.getLong(i * 8);
            default -> throw new IllegalStateException("element width " + width);
        };
    }

    private static Result compareStrings(List<String> a, List<String> e, long[] dims) {
        long mismatches = 0;
        long first = -1;
        for (int i = 0; i < a.size(); i++) {
            if (!Objects.equals(a.get(i), e.get(i))) {
                if (first < 0) first = i;
                mismatches++;
            }
        }
        if (first < 0) return new Result(null, a.size(), 0, 0, null, null, null);
        int f = (int) first;
        return new Result(null, a.size(), mismatches, Double.NaN, unravel(first, dims), quote(a.get(f)),
                quote(e.get(f)));
    }

    private static Result compareBytes(ByteBuffer a, ByteBuffer e) {
        if (a.remaining() != e.remaining())
            return problem("byte sizes differ: " + a.remaining() + " vs expected " + e.remaining());
        long mismatches = 0;
        long first = -1;
        for (int i = 0; i < a.remaining(); i++) {
            if (a.get(i) != e.get(i)) {
                if (first < 0) first = i;
                mismatches++;
            }
        }
        // Counts and the index here are in bytes: the type is not decoded.
        if (first < 0) return new Result(null, a.remaining(), 0, Double.NaN, null, null, null);
        int f = (int) first;
        return new Result(null, a.remaining(), mismatches, Double.NaN, new long[] {first},
                String.format("byte 0x%02x", a.get(f)), String.format("byte 0x%02x", e.get(f)));
    }

    private static long[] unravel(long flat, long[] dims) {
        long[] index = new long[dims.length];
        for (int d = dims.length - 1; d >= 0; d--) {
            index[d] = flat % dims[d];
            flat /= dims[d];
        }
        return index;
    }

    private static Result problem(String why) {
        return new Result(why, 0, 0, Double.NaN, null, null, null);
    }

    private static String describeType(Tensor t) {
        return t.dataType() != null ? t.dataType().toString() : "element type #" + t.rawDataType();
    }
}
