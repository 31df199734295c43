package dev.tailor.passes.quantize;

import java.util.function.IntBinaryOperator;

/**
 * The arithmetic of linear quantization as ONNX defines it ({@code QuantizeLinear}:
 * {@code q = saturate(round(x / scale) + zero_point)}, rounding half to even; {@code DequantizeLinear}:
 * {@code x = (q - zero_point) * scale}), scale and zero-point choice for symmetric and asymmetric ranges,
 * per-tensor, per-channel and blockwise, 4-bit packing and float16 rounding. Pure functions, so that every number
 * the pass writes can be checked by hand.
 */
public final class QuantMath {
    private QuantMath() {}

    /** The integer range of a quantized type: {@code int8} is -128..127, {@code uint4} 0..15, and so on. */
    public record IntRange(int min, int max) {
        /**
         * The range of a signed or unsigned integer of {@code bits} bits; {@code reduceRange} drops one bit (as
         * ONNX Runtime's {@code reduce_range} does, for CPUs whose 8-bit kernels could saturate).
         */
        public static IntRange of(int bits, boolean signed, boolean reduceRange) {
            int b = reduceRange ? bits - 1 : bits;
            return signed ? new IntRange(-(1 << (b - 1)), (1 << (b - 1)) - 1) : new IntRange(0, (1 << b) - 1);
        }

        public boolean signed() {
            return min < 0;
        }
    }

    /** A scale and a zero point. */
    public record Params(float scale, int zeroPoint) {}

    /** Rounds to the nearest integer, ties to even, as ONNX's QuantizeLinear does. */
    public static float roundHalfToEven(float x) {
        return (float) Math.rint(x);
    }

    /** Clamps to the range. */
    public static int saturate(float v, IntRange r) {
        if (Float.isNaN(v)) return r.min() < 0 ? 0 : r.min();
        if (v <= r.min()) return r.min();
        if (v >= r.max()) return r.max();
        return (int) v;
    }

    /** {@code saturate(round(x / scale) + zeroPoint)}, computed in float32 as ONNX Runtime does. */
    public static int quantize(float x, float scale, int zeroPoint, IntRange r) {
        float q = roundHalfToEven(x / scale) + zeroPoint;
        return saturate(q, r);
    }

    public static float dequantize(int q, float scale, int zeroPoint) {
        return (q - zeroPoint) * scale;
    }

    /**
     * Scale and zero point that map {@code [min, max]} (widened to include 0, so that 0 is exact) onto the range.
     * Symmetric: the zero point is the middle of the range (0 for signed types) and the scale covers the larger
     * magnitude with the narrower half ({@code absmax / 127} for int8, whose -128 then stays unused, as ONNX
     * Runtime does). Asymmetric: {@code scale = (max - min) / (qmax - qmin)} and
     * {@code zeroPoint = round(qmin - min / scale)}. An all-zero range gets scale 1.
     */
    public static Params params(float min, float max, IntRange r, boolean symmetric) {
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        if (symmetric) {
            float absmax = Math.max(Math.abs(lo), Math.abs(hi));
            int half = (r.max() - r.min()) / 2; // 127 for int8 and uint8, 7 for int4
            int zero = r.signed() ? 0 : r.min() + half + 1; // uint8: 128, uint4: 8
            float scale = absmax / half;
            return new Params(scale == 0 || !Float.isFinite(scale) ? 1f : scale, zero);
        }
        float scale = (hi - lo) / (r.max() - r.min());
        if (scale == 0 || !Float.isFinite(scale)) return new Params(1f, r.signed() ? 0 : r.min());
        int zero = saturate(roundHalfToEven(r.min() - lo / scale), r);
        return new Params(scale, zero);
    }

    /**
     * Quantizes a row-major {@code [rows, cols]} matrix with one scale per column ({@code perColumn}, the output
     * channels of a MatMul weight, axis 1) or one for the whole matrix.
     */
    public static Quantized quantizeMatrix(float[] w, int rows, int cols, IntRange r, boolean symmetric,
                                           boolean perColumn) {
        return quantizeGroups(w, rows, cols, r, symmetric, perColumn ? cols : 1, (i, j) -> perColumn ? j : 0);
    }

    /** One scale (and zero point) per group of elements, {@code group(i, j)} naming the group of {@code w[i][j]}. */
    private static Quantized quantizeGroups(float[] w, int rows, int cols, IntRange r, boolean symmetric, int groups,
                                            IntBinaryOperator group) {
        float[] min = new float[groups];
        float[] max = new float[groups];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int g = group.applyAsInt(i, j);
                float v = w[i * cols + j];
                if (v < min[g]) min[g] = v;
                if (v > max[g]) max[g] = v;
            }
        }
        Params[] p = new Params[groups];
        for (int g = 0; g < groups; g++) p[g] = params(min[g], max[g], r, symmetric);
        int[] q = new int[w.length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                Params pg = p[group.applyAsInt(i, j)];
                q[i * cols + j] = quantize(w[i * cols + j], pg.scale(), pg.zeroPoint(), r);
            }
        return new Quantized(q, p, r);
    }

    /**
     * Quantizes a row-major {@code [rows, cols]} matrix symmetrically with one scale per row: an embedding table,
     * whose row {@code i} is what id {@code i} looks up, so each vocabulary entry keeps its own range (a rare
     * token's small row is not flattened to zero by a frequent token's large one). An all-zero row gets scale 1.
     */
    public static Quantized quantizeRows(float[] w, int rows, int cols, IntRange r) {
        return quantizeGroups(w, rows, cols, r, true, rows, (i, j) -> i);
    }

    /**
     * Quantizes a row-major {@code [rows, cols]} matrix (a MatMul weight {@code [K, N]}) in blocks of
     * {@code blockSize} consecutive rows of one column: block {@code b} of column {@code j} covers rows
     * {@code b*blockSize ..} and has parameter {@code b * cols + j} (the layout of a blocked DequantizeLinear's
     * scale {@code [ceil(K / blockSize), N]}); the last block may be short.
     */
    public static Quantized quantizeBlocks(float[] w, int rows, int cols, int blockSize, IntRange r,
                                           boolean symmetric) {
        int blocks = (rows + blockSize - 1) / blockSize;
        Params[] p = new Params[blocks * cols];
        int[] q = new int[w.length];
        for (int b = 0; b < blocks; b++) {
            int from = b * blockSize;
            int to = Math.min(rows, from + blockSize);
            for (int j = 0; j < cols; j++) {
                float min = 0, max = 0;
                for (int i = from; i < to; i++) {
                    float v = w[i * cols + j];
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
                Params pb = params(min, max, r, symmetric);
                p[b * cols + j] = pb;
                for (int i = from; i < to; i++) q[i * cols + j] = quantize(w[i * cols + j], pb.scale(), pb.zeroPoint(), r);
            }
        }
        return new Quantized(q, p, r);
    }

    /** Quantized values with their parameters (one per tensor, channel or block, as made). */
    public record Quantized(int[] values, Params[] params, IntRange range) {
        public float[] scales() {
            float[] s = new float[params.length];
            for (int i = 0; i < s.length; i++) s[i] = params[i].scale();
            return s;
        }

        public int[] zeroPoints() {
            int[] z = new int[params.length];
            for (int i = 0; i < z.length; i++) z[i] = params[i].zeroPoint();
            return z;
        }

        /** One byte per value (int8 as two's complement, uint8 as is). */
        public byte[] bytes() {
            byte[] out = new byte[values.length];
            for (int i = 0; i < out.length; i++) out[i] = (byte) values[i];
            return out;
        }

        public boolean allZeroPoints(int z) {
            for (Params p : params) if (p.zeroPoint() != z) return false;
            return true;
        }
    }

    /**
     * Packs 4-bit values two to a byte, as ONNX stores int4/uint4 tensors and as MatMulNBits stores its blobs:
     * element {@code 2i} in the low nibble of byte {@code i}, element {@code 2i+1} in the high nibble; an odd
     * count leaves the last high nibble 0. Signed values are stored in two's complement.
     */
    public static byte[] pack4(int[] values) {
        byte[] out = new byte[(values.length + 1) / 2];
        for (int i = 0; i < values.length; i++) {
            int nibble = values[i] & 0x0F;
            out[i >> 1] |= (byte) ((i & 1) == 0 ? nibble : nibble << 4);
        }
        return out;
    }

    /** The inverse of {@link #pack4}: {@code count} values, sign-extended when {@code signed}. */
    public static int[] unpack4(byte[] packed, int count, boolean signed) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            int nibble = (packed[i >> 1] >> ((i & 1) * 4)) & 0x0F;
            out[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
        }
        return out;
    }

    /** Largest finite float16. */
    public static final float FP16_MAX = 65504f;

    /**
     * The float16 bits nearest to {@code f} (ties to even), subnormals included. With {@code clampFinite}, finite
     * values beyond the float16 range become ±65504 instead of infinities (so a "minus float max" mask constant
     * stays finite and {@code 0 * mask} stays 0).
     */
    public static short toHalf(float f, boolean clampFinite) {
        if (clampFinite && Float.isFinite(f)) f = Math.max(-FP16_MAX, Math.min(FP16_MAX, f));
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0)); // inf, NaN
        int e = exp - 127 + 15;
        if (e >= 0x1F) return (short) (sign | 0x7C00); // overflow
        if (e <= 0) {
            if (e < -10) return (short) sign; // underflows to zero
            int m = mant | 0x800000; // implicit bit
            int shift = 14 - e; // bits to drop so that the value is in units of 2^-24
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) half++; // may carry into the exponent: still right
        return (short) (sign | half);
    }

    /** The float value of float16 bits. */
    public static float fromHalf(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
