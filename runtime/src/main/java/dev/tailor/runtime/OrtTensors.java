package dev.tailor.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Tensor;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Converts between Tailor's IR {@link Tensor} and ONNX Runtime's {@link OnnxTensor}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #toOrt} hands ONNX Runtime exactly the tensor's raw bytes (a copy, so the IR tensor and its
 *       memory-mapped file stay untouched) with the same shape and element type;</li>
 *   <li>{@link #fromOrt} copies the runtime's bytes out into a heap-backed tensor, so the result stays valid after
 *       the {@code OnnxTensor} (or the session result holding it) is closed;</li>
 *   <li>{@code fromOrt(name, toOrt(env, t))} has the same type, shape and bytes (or strings) as {@code t};</li>
 *   <li>a type the Java API cannot carry fails with an {@link UnsupportedOperationException} naming that type,
 *       never with a silently wrong tensor.</li>
 * </ul>
 * Both directions assume a little-endian machine, which is ONNX's raw byte order and the only kind ONNX
 * Runtime's Java packages are built for.
 */
public final class OrtTensors {
    private OrtTensors() {}

    /** True if {@link #toOrt} can pass tensors of {@code type} to ONNX Runtime. */
    public static boolean canConvert(DataType type) {
        return type == DataType.STRING || javaType(type) != null;
    }

    /**
     * A new ONNX Runtime tensor holding a copy of {@code t}. The caller owns it and must close it.
     *
     * @throws UnsupportedOperationException for element types ONNX Runtime's Java API cannot create (unsigned
     *                                       16/32/64-bit, complex, 8-bit and 4-bit floats, 4-bit and 2-bit
     *                                       integers, or a type number Tailor does not know)
     */
    public static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws OrtException {
        return toOrt(env, t, null);
    }

    /** As {@link #toOrt(OrtEnvironment, Tensor)}, copying into a direct buffer of the size asked from {@code alloc}. */
    static OnnxTensor toOrt(OrtEnvironment env, Tensor t, IntFunction<ByteBuffer> alloc) throws OrtException {
        DataType type = t.dataType();
        long[] shape = t.dims();
        if (type == DataType.STRING) {
            return OnnxTensor.createTensor(env, t.strings().toArray(new String[0]), shape);
        }
        OnnxJavaType javaType = javaType(type);
        if (javaType == null) throw unsupported(t.name(), type, t.rawDataType());
        requireLittleEndian();
        ByteBuffer src = t.bytes();
        // A direct buffer is used by ONNX Runtime in place; the OnnxTensor keeps a reference to it.
        ByteBuffer direct = alloc == null
                ? ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.LITTLE_ENDIAN)
                : alloc.apply(src.remaining());
        direct.put(src).flip();
        return OnnxTensor.createTensor(env, direct, shape, javaType);
    }

    /**
     * A heap-backed copy of {@code v} named {@code name}, with the element type ONNX Runtime reports (including
     * the unsigned types the Java API reads through their signed counterparts).
     *
     * @throws UnsupportedOperationException if the value's element type has no IR equivalent or no readable
     *                                       byte form
     */
    public static Tensor fromOrt(String name, OnnxTensor v) throws OrtException {
        TensorInfo info = v.getInfo();
        long[] shape = info.getShape();
        DataType type = irType(info.onnxType);
        if (type == null)
            throw new UnsupportedOperationException("output '" + name + "' has ONNX Runtime element type "
                    + info.onnxType + ", which Tailor's IR does not model");
        if (type == DataType.STRING) {
            List<String> strings = new ArrayList<>(Math.toIntExact(info.getNumElements()));
            flattenStrings(v.getValue(), strings);
            return Tensor.ofStrings(name, shape, strings);
        }
        requireLittleEndian();
        long expected = type.byteSize(Tensor.elementCount(shape));
        if (expected == 0) return Tensor.of(name, type, shape, new HeapData(new byte[0]));
        ByteBuffer bytes = v.getByteBuffer(); // a heap copy in native (little-endian) byte order
        if (bytes == null || bytes.remaining() != expected)
            throw new UnsupportedOperationException("output '" + name + "' of " + type + " " + Arrays.toString(shape)
                    + " should hold " + expected + " bytes, but ONNX Runtime's Java API gave "
                    + (bytes == null ? "none" : bytes.remaining()));
        byte[] data;
        if (bytes.hasArray() && bytes.arrayOffset() == 0 && bytes.position() == 0
                && bytes.array().length == bytes.remaining()) {
            data = bytes.array(); // the Java API's copy is ours: no second copy
        } else {
            data = new byte[bytes.remaining()];
            bytes.get(data);
        }
        return Tensor.of(name, type, shape, new HeapData(data));
    }

    /** The Java API type that carries {@code type} bit for bit, or null if there is none. */
    private static OnnxJavaType javaType(DataType type) {
        if (type == null) return null;
        return switch (type) {
            case FLOAT -> OnnxJavaType.FLOAT;
            case DOUBLE -> OnnxJavaType.DOUBLE;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case BOOL -> OnnxJavaType.BOOL;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            default -> null;
        };
    }

    /**
     * The IR type of an ONNX Runtime element type. Matched by name: the Java enum's {@code value} numbers are
     * its own, not ONNX's {@code TensorProto.DataType} numbers.
     */
    private static DataType irType(TensorInfo.OnnxTensorType t) {
        return switch (t) {
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> DataType.UINT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> DataType.INT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 -> DataType.UINT16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 -> DataType.INT16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 -> DataType.UINT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> DataType.INT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 -> DataType.UINT64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> DataType.INT64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 -> DataType.FLOAT16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> DataType.FLOAT;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE -> DataType.DOUBLE;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING -> DataType.STRING;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL -> DataType.BOOL;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX64 -> DataType.COMPLEX64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX128 -> DataType.COMPLEX128;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16 -> DataType.BFLOAT16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E4M3FN -> DataType.FLOAT8E4M3FN;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E4M3FNUZ -> DataType.FLOAT8E4M3FNUZ;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E5M2 -> DataType.FLOAT8E5M2;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E5M2FNUZ -> DataType.FLOAT8E5M2FNUZ;
            default -> null;
        };
    }

    private static UnsupportedOperationException unsupported(String name, DataType type, int raw) {
        String what = type != null ? type.toString() : "element type #" + raw;
        return new UnsupportedOperationException("tensor '" + name + "' is " + what
                + ", which ONNX Runtime's Java API cannot create (it supports FLOAT, DOUBLE, INT8, UINT8, INT16, "
                + "INT32, INT64, BOOL, FLOAT16, BFLOAT16 and STRING)");
    }

    private static void requireLittleEndian() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new UnsupportedOperationException("ONNX Runtime tensors are exchanged as little-endian bytes; "
                    + "this machine is big-endian");
    }

    /** Appends the strings of {@code value} (a String, or nested String arrays) in row-major order. */
    private static void flattenStrings(Object value, List<String> out) {
        if (value instanceof String s) {
            out.add(s);
        } else if (value != null && value.getClass().isArray()) {
            for (int i = 0, n = Array.getLength(value); i < n; i++) flattenStrings(Array.get(value, i), out);
        } else {
            throw new IllegalStateException("unexpected string tensor value " + value);
        }
    }
}
