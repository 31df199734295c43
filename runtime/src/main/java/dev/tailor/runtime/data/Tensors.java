package dev.tailor.runtime.data;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds IR tensors of any numeric element type from Java values, and slices them along their first axis. */
final class Tensors {
    private Tensors() {}

    static boolean isInteger(DataType t) {
        return switch (t) {
            case INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64 -> true;
            default -> false;
        };
    }

    /** The largest value of an integer type (of UINT64, the largest Java long). */
    static long maxValue(DataType t) {
        return switch (t) {
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 0xFF;
            case INT16 -> Short.MAX_VALUE;
            case UINT16 -> 0xFFFF;
            case INT32 -> Integer.MAX_VALUE;
            case UINT32 -> 0xFFFFFFFFL;
            default -> Long.MAX_VALUE;
        };
    }

    /** A tensor of an integer, boolean (non-zero is true) or floating-point type holding {@code values}. */
    static Tensor fromLongs(String name, DataType type, long[] dims, long[] values) {
        if (type.isFloatingPoint()) {
            double[] d = new double[values.length];
            for (int i = 0; i < d.length; i++) d[i] = values[i];
            return fromDoubles(name, type, dims, d);
        }
        int width = type.bits() / 8;
        ByteBuffer b = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (type) {
                case INT8, UINT8 -> b.put((byte) v);
                case BOOL -> b.put((byte) (v != 0 ? 1 : 0));
                case INT16, UINT16 -> b.putShort((short) v);
                case INT32, UINT32 -> b.putInt((int) v);
                case INT64, UINT64 -> b.putLong(v);
                default -> throw new DataException("cannot make a tensor of " + ModelInputs.typeName(type)
                        + " for '" + name + "'");
            }
        }
        return Tensor.of(name, type, dims, new HeapData(b.flip()));
    }

    /** A tensor of FLOAT, DOUBLE, FLOAT16 or BFLOAT16 holding {@code values} (rounded to nearest even). */
    static Tensor fromDoubles(String name, DataType type, long[] dims, double[] values) {
        int width = type.bits() / 8;
        ByteBuffer b = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (type) {
                case FLOAT -> b.putFloat((float) v);
                case DOUBLE -> b.putDouble(v);
                case FLOAT16 -> b.putShort(toHalf((float) v));
                case BFLOAT16 -> b.putShort(toBfloat16((float) v));
                default -> throw new DataException("cannot make a tensor of " + ModelInputs.typeName(type)
                        + " for '" + name + "'");
            }
        }
        return Tensor.of(name, type, dims, new HeapData(b.flip()));
    }

    /** IEEE half precision, rounded to nearest even; overflow gives infinity. */
    static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0)); // inf or NaN
        int e = exp - 127 + 15;
        if (e >= 0x1F) return (short) (sign | 0x7C00);
        if (e <= 0) {
            if (e < -10) return (short) sign; // too small even for a subnormal
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >> shift;
            int rest = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rest > mid || (rest == mid && (half & 1) != 0)) half++;
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >> 13);
        int rest = mant & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) half++; // may carry into the exponent: still right
        return (short) (sign | half);
    }

    static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) of axis 0 of {@code t}. */
    static Tensor rows(Tensor t, long from, long to) {
        long[] dims = t.dims();
        long rowBytes = t.byteSize() / Math.max(1, dims[0]);
        if (dims[0] == 0) rowBytes = 0;
        ByteBuffer src = t.bytes();
        src.position(Math.toIntExact(from * rowBytes)).limit(Math.toIntExact(to * rowBytes));
        byte[] copy = new byte[src.remaining()];
        src.get(copy);
        dims[0] = to - from;
        return Tensor.of(t.name(), t.dataType(), dims, new HeapData(copy));
    }
}
