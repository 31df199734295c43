package dev.tailor.compiler.safetensors;

import dev.tailor.compiler.ir.DataType;
import java.util.Arrays;

/** The element types a safetensors header names ({@code "F32"}, {@code "BF16"}, ...) and their ONNX counterparts. */
enum SafeTensorsType {
    F64(DataType.DOUBLE), F32(DataType.FLOAT), F16(DataType.FLOAT16), BF16(DataType.BFLOAT16),
    I64(DataType.INT64), I32(DataType.INT32), I16(DataType.INT16), I8(DataType.INT8),
    U64(DataType.UINT64), U32(DataType.UINT32), U16(DataType.UINT16), U8(DataType.UINT8), BOOL(DataType.BOOL),
    F8_E4M3(DataType.FLOAT8E4M3FN), F8_E5M2(DataType.FLOAT8E5M2);

    final DataType onnx;

    SafeTensorsType(DataType onnx) {
        this.onnx = onnx;
    }

    /** The type named {@code name} in a header, or null. */
    static SafeTensorsType named(String name) {
        for (SafeTensorsType t : values()) if (t.name().equals(name)) return t;
        return null;
    }

    /** The safetensors name of an ONNX type, or null when the format has none. */
    static SafeTensorsType of(DataType onnx) {
        for (SafeTensorsType t : values()) if (t.onnx == onnx) return t;
        return null;
    }

    static String known() {
        return String.join(", ", Arrays.stream(values()).map(Enum::name).toList());
    }
}
