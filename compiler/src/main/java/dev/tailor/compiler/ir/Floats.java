package dev.tailor.compiler.ir;

import java.nio.ByteBuffer;

/** Decoding of the floating-point element types to float: exact for float16 and bfloat16, rounded for double. */
public final class Floats {
    private Floats() {}

    /** IEEE 754 binary16 (ONNX FLOAT16) to float, exactly: every half value is representable as a float. */
    public static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) // infinity, or NaN with its payload kept
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        // normal: rebias the exponent from 15 to 127
        return Float.intBitsToFloat(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
    }

    /** bfloat16 to float: bfloat16 is the upper half of a float's bits. */
    public static float bfloat16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** True for the types {@link #decode} reads. */
    public static boolean decodable(DataType type) {
        return type == DataType.FLOAT || type == DataType.FLOAT16 || type == DataType.BFLOAT16
                || type == DataType.DOUBLE;
    }

    /** The elements of a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor as floats. */
    public static float[] decode(Tensor t) {
        DataType type = t.dataType();
        if (type == DataType.FLOAT) return t.toFloats();
        if (type == null || !decodable(type))
            throw new IllegalArgumentException("tensor '" + t.name() + "' is " + type + ", not a floating-point type");
        ByteBuffer b = t.bytes();
        float[] out = new float[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (type) {
                case FLOAT16 -> halfToFloat(b.getShort(i * 2));
                case BFLOAT16 -> bfloat16ToFloat(b.getShort(i * 2));
                default -> (float) b.getDouble(i * 8);
            };
        }
        return out;
    }
}
