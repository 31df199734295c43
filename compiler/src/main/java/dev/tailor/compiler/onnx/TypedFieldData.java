package dev.tailor.compiler.onnx;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.TensorData;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Tensor elements stored in TensorProto's typed fields ({@code float_data}, {@code int32_data}, ...), decoded
 * into the raw little-endian form on first use. Small tensors only: exporters use raw_data for weights.
 */
final class TypedFieldData implements TensorData {
    private final TensorProto proto;
    private final DataType type;
    private final long size;
    private volatile ByteBuffer decoded;

    TypedFieldData(TensorProto proto, DataType type, long size) {
        this.proto = proto;
        this.type = type;
        this.size = size;
    }

    /** Number of typed-field entries {@code type} needs for {@code elements} elements. */
    static long entriesFor(DataType type, long elements) {
        return switch (type) {
            case COMPLEX64, COMPLEX128 -> 2 * elements;
            case UINT4, INT4, FLOAT4E2M1, UINT2, INT2 -> type.byteSize(elements);
            default -> elements;
        };
    }

    /** Entries present in the field that holds {@code type}, or -1 if the type has no typed field. */
    static long entriesPresent(TensorProto p, DataType type) {
        return switch (type) {
            case FLOAT, COMPLEX64 -> p.getFloatDataCount();
            case DOUBLE, COMPLEX128 -> p.getDoubleDataCount();
            case INT64 -> p.getInt64DataCount();
            case UINT32, UINT64 -> p.getUint64DataCount();
            case STRING -> p.getStringDataCount();
            case UNDEFINED -> -1;
            default -> p.getInt32DataCount();
        };
    }

    @Override
    public long byteSize() {
        return size;
    }

    @Override
    public ByteBuffer bytes() {
        ByteBuffer b = decoded;
        if (b == null) {
            b = decode();
            decoded = b;
        }
        return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer decode() {
        ByteBuffer b = ByteBuffer.allocate(TensorData.checkedBufferSize(size, "tensor " + proto.getName()))
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FLOAT, COMPLEX64 -> proto.getFloatDataList().forEach(b::putFloat);
            case DOUBLE, COMPLEX128 -> proto.getDoubleDataList().forEach(b::putDouble);
            case INT64 -> proto.getInt64DataList().forEach(b::putLong);
            case UINT32 -> proto.getUint64DataList().forEach(v -> b.putInt((int) (long) v));
            case UINT64 -> proto.getUint64DataList().forEach(b::putLong);
            case INT32 -> proto.getInt32DataList().forEach(b::putInt);
            case INT16, UINT16, FLOAT16, BFLOAT16 -> proto.getInt32DataList().forEach(v -> b.putShort((short) (int) v));
            // 8-bit types take one entry per element; packed sub-byte types one entry per byte.
            default -> proto.getInt32DataList().forEach(v -> b.put((byte) (int) v));
        }
        b.flip();
        return b.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}
