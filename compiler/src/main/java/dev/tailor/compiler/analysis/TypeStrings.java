package dev.tailor.compiler.analysis;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.util.Locale;

/** ONNX's spelling of types in operator schemas ({@code tensor(float)}, {@code seq(tensor(int64))}). */
final class TypeStrings {
    private TypeStrings() {}

    /** The type of {@code v}: its declared or inferred type, else the type of the tensor it holds; null if unknown. */
    static Type typeOf(Value v) {
        if (v.type() != null) return v.type();
        Tensor t = v.initializer();
        if (t != null && t.dataType() != null) return new Type.Tensor(t.dataType(), Shape.of(t.dims()));
        return null;
    }

    /** The schema spelling of {@code type}, or null when it is not fully known. */
    static String of(Type type) {
        if (type == null) return null;
        if (type instanceof Type.Tensor t)
            return t.elementType() == null || t.elementType() == DataType.UNDEFINED ? null
                    : "tensor(" + name(t.elementType()) + ")";
        if (type instanceof Type.SparseTensor t)
            return t.elementType() == null || t.elementType() == DataType.UNDEFINED ? null
                    : "sparse_tensor(" + name(t.elementType()) + ")";
        if (type instanceof Type.Sequence s) return wrap("seq", of(s.elementType()));
        if (type instanceof Type.Optional o) return wrap("optional", of(o.elementType()));
        if (type instanceof Type.Map m)
            return m.keyType() == null || of(m.valueType()) == null ? null
                    : "map(" + name(m.keyType()) + "," + of(m.valueType()) + ")";
        return null;
    }

    static String name(DataType t) {
        return t.name().toLowerCase(Locale.ROOT);
    }

    /** The element type a {@code tensor(x)} string names, or null for other types. */
    static DataType tensorElement(String typeString) {
        if (!typeString.startsWith("tensor(") || !typeString.endsWith(")")) return null;
        String n = typeString.substring(7, typeString.length() - 1).toUpperCase(Locale.ROOT);
        try {
            return DataType.valueOf(n);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String wrap(String kind, String inner) {
        return inner == null ? null : kind + "(" + inner + ")";
    }
}
