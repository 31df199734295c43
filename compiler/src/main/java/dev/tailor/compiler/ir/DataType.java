package dev.tailor.compiler.ir;

/**
 * ONNX tensor element types, numbered as in {@code TensorProto.DataType}.
 * {@link #bits()} is the storage width of one element in raw (little-endian, packed) form;
 * strings have no raw form and report {@code -1}.
 */
public enum DataType {
    UNDEFINED(0, 0),
    FLOAT(1, 32),
    UINT8(2, 8),
    INT8(3, 8),
    UINT16(4, 16),
    INT16(5, 16),
    INT32(6, 32),
    INT64(7, 64),
    STRING(8, -1),
    BOOL(9, 8),
    FLOAT16(10, 16),
    DOUBLE(11, 64),
    UINT32(12, 32),
    UINT64(13, 64),
    COMPLEX64(14, 64),
    COMPLEX128(15, 128),
    BFLOAT16(16, 16),
    FLOAT8E4M3FN(17, 8),
    FLOAT8E4M3FNUZ(18, 8),
    FLOAT8E5M2(19, 8),
    FLOAT8E5M2FNUZ(20, 8),
    UINT4(21, 4),
    INT4(22, 4),
    FLOAT4E2M1(23, 4),
    FLOAT8E8M0(24, 8),
    UINT2(25, 2),
    INT2(26, 2);

    private static final DataType[] BY_CODE = new DataType[27];

    static {
        for (DataType t : values()) BY_CODE[t.code] = t;
    }

    private final int code;
    private final int bits;

    DataType(int code, int bits) {
        this.code = code;
        this.bits = bits;
    }

    /** The ONNX enum number. */
    public int code() {
        return code;
    }

    /** Bits per element in raw form, or -1 for STRING. */
    public int bits() {
        return bits;
    }

    public boolean isFloatingPoint() {
        return switch (this) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2,
                 FLOAT8E5M2FNUZ, FLOAT4E2M1, FLOAT8E8M0 -> true;
            default -> false;
        };
    }

    /** Bytes needed to hold {@code elements} values in raw form (sub-byte types are packed, rounded up). */
    public long byteSize(long elements) {
        if (bits < 0) throw new IllegalStateException(this + " tensors have no raw byte form");
        return Math.addExact(Math.multiplyExact(elements, (long) bits), 7) / 8;
    }

    /** The type with ONNX number {@code code}, or {@code null} if this version of Tailor does not know it. */
    public static DataType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
