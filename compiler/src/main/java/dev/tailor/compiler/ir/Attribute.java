package dev.tailor.compiler.ir;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A node attribute: a name, a kind and a value. Attributes are immutable, except that graph values are ordinary
 * mutable {@link Graph}s. In a function body an attribute may instead refer to an attribute of the function
 * ({@link #refAttrName()}), with no value of its own.
 *
 * <p>Value representations: FLOAT {@code Float}, INT {@code Long}, STRING {@code byte[]} (ONNX strings are bytes),
 * TENSOR {@link Tensor}, GRAPH {@link Graph}, SPARSE_TENSOR {@link SparseTensor}, TYPE_PROTO {@link Type},
 * FLOATS {@code float[]}, INTS {@code long[]}, and lists of the element types for the plural kinds.
 */
public final class Attribute {

    /** Attribute kinds, numbered as in {@code AttributeProto.AttributeType}. */
    public enum Kind {
        UNDEFINED(0), FLOAT(1), INT(2), STRING(3), TENSOR(4), GRAPH(5), FLOATS(6), INTS(7), STRINGS(8),
        TENSORS(9), GRAPHS(10), SPARSE_TENSOR(11), SPARSE_TENSORS(12), TYPE_PROTO(13), TYPE_PROTOS(14);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Kind fromCode(int code) {
            for (Kind k : values()) if (k.code == code) return k;
            return null;
        }
    }

    private final String name;
    private final Kind kind;
    private final Object value;
    private final String refAttrName;
    private final String docString;
    private final Object origin;

    private Attribute(String name, Kind kind, Object value, String refAttrName, String docString, Object origin) {
        this.name = name;
        this.kind = Objects.requireNonNull(kind, "kind");
        this.value = value;
        this.refAttrName = refAttrName;
        this.docString = docString;
        this.origin = origin;
    }

    public static Attribute of(String name, long value) {
        return new Attribute(name, Kind.INT, value, null, null, null);
    }

    public static Attribute of(String name, float value) {
        return new Attribute(name, Kind.FLOAT, value, null, null, null);
    }

    public static Attribute of(String name, String value) {
        return new Attribute(name, Kind.STRING, value.getBytes(StandardCharsets.UTF_8), null, null, null);
    }

    public static Attribute of(String name, Tensor value) {
        return new Attribute(name, Kind.TENSOR, value, null, null, null);
    }

    public static Attribute of(String name, Graph value) {
        return new Attribute(name, Kind.GRAPH, value, null, null, null);
    }

    public static Attribute ofInts(String name, long... values) {
        return new Attribute(name, Kind.INTS, values.clone(), null, null, null);
    }

    public static Attribute ofFloats(String name, float... values) {
        return new Attribute(name, Kind.FLOATS, values.clone(), null, null, null);
    }

    public static Attribute ofStrings(String name, List<String> values) {
        List<byte[]> bytes = new ArrayList<>();
        for (String s : values) bytes.add(s.getBytes(StandardCharsets.UTF_8));
        return new Attribute(name, Kind.STRINGS, List.copyOf(bytes), null, null, null);
    }

    /** A reference, inside a function body, to the function's attribute {@code refAttrName}. */
    public static Attribute reference(String name, Kind kind, String refAttrName) {
        return new Attribute(name, kind, null, Objects.requireNonNull(refAttrName), null, null);
    }

    /** The reader's factory; see the class comment for value representations. */
    public static Attribute read(String name, Kind kind, Object value, String refAttrName, String docString,
                                 Object origin) {
        return new Attribute(name, kind, value, refAttrName, docString, origin);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    /** The value in the representation of its kind; null for a reference. */
    public Object value() {
        return value;
    }

    public String refAttrName() {
        return refAttrName;
    }

    public boolean isReference() {
        return refAttrName != null;
    }

    public String docString() {
        return docString;
    }

    /** The file's element as read, with modelled fields cleared; null for attributes made in memory. */
    public Object origin() {
        return origin;
    }

    public long asInt() {
        return (Long) expect(Kind.INT);
    }

    public float asFloat() {
        return (Float) expect(Kind.FLOAT);
    }

    public String asString() {
        return new String((byte[]) expect(Kind.STRING), StandardCharsets.UTF_8);
    }

    public long[] asInts() {
        return ((long[]) expect(Kind.INTS)).clone();
    }

    public float[] asFloats() {
        return ((float[]) expect(Kind.FLOATS)).clone();
    }

    public Tensor asTensor() {
        return (Tensor) expect(Kind.TENSOR);
    }

    public Graph asGraph() {
        return (Graph) expect(Kind.GRAPH);
    }

    /** Graphs held by this attribute (GRAPH or GRAPHS), else empty. */
    @SuppressWarnings("unchecked")
    public List<Graph> graphs() {
        if (value == null) return List.of();
        if (kind == Kind.GRAPH) return List.of((Graph) value);
        if (kind == Kind.GRAPHS) return (List<Graph>) value;
        return List.of();
    }

    private Object expect(Kind k) {
        if (kind != k || value == null)
            throw new IllegalStateException("attribute '" + name + "' is " + kind
                    + (value == null ? " without a value" : "") + ", not " + k);
        return value;
    }

    @Override
    public String toString() {
        return name + ":" + kind + (refAttrName != null ? "=@" + refAttrName : "");
    }
}
