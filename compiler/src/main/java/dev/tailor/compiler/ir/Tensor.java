package dev.tailor.compiler.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A constant tensor: an initializer, a tensor-valued attribute, or a value read from a {@code .pb} file.
 * Tensors are immutable; a pass that changes weights makes a new tensor. The element bytes are loaded lazily
 * through {@link TensorData}, so reading a model copies no weights onto the heap.
 *
 * <p>{@code origin} is the element as the file held it, with the fields this class models cleared; the writer
 * starts from it so that fields Tailor does not model survive a round trip.
 */
public final class Tensor {
    private final String name;
    private final DataType dataType;
    private final int rawDataType;
    private final long[] dims;
    private final String docString;
    private final TensorData data;
    private final List<String> strings;
    private final Object origin;
    private final boolean dataInOrigin;

    private Tensor(String name, DataType dataType, int rawDataType, long[] dims, String docString,
                   TensorData data, List<String> strings, Object origin, boolean dataInOrigin) {
        this.name = name;
        this.dataType = dataType;
        this.rawDataType = rawDataType;
        this.dims = dims.clone();
        this.docString = docString;
        this.data = data;
        this.strings = strings;
        this.origin = origin;
        this.dataInOrigin = dataInOrigin;
    }

    /** A numeric tensor over {@code data}, which must hold exactly the bytes the shape needs. */
    public static Tensor of(String name, DataType dataType, long[] dims, TensorData data) {
        Objects.requireNonNull(dataType, "dataType");
        long expected = dataType.byteSize(elementCount(dims));
        if (data.byteSize() != expected)
            throw new IllegalArgumentException("tensor '" + name + "' of " + dataType + Arrays.toString(dims)
                    + " needs " + expected + " bytes, got " + data.byteSize());
        return new Tensor(name, dataType, dataType.code(), dims, null, data, null, null, false);
    }

    /** A STRING tensor. */
    public static Tensor ofStrings(String name, long[] dims, List<String> values) {
        if (values.size() != elementCount(dims))
            throw new IllegalArgumentException("tensor '" + name + "' has " + values.size() + " strings for shape "
                    + Arrays.toString(dims));
        return new Tensor(name, DataType.STRING, DataType.STRING.code(), dims, null, null, List.copyOf(values), null, false);
    }

    public static Tensor ofFloats(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return of(name, DataType.FLOAT, dims, new HeapData(b));
    }

    public static Tensor ofLongs(String name, long[] dims, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return of(name, DataType.INT64, dims, new HeapData(b));
    }

    /**
     * The reader's factory: {@code dataType} may be null for a type number this version does not know
     * ({@code rawDataType} keeps it). {@code dataInOrigin} says that {@code origin} still holds the element data
     * exactly as the file stored it (so the writer can re-emit it untouched); {@code data}/{@code strings} are
     * then views of it, or both null for a type whose bytes Tailor cannot decode.
     */
    public static Tensor read(String name, DataType dataType, int rawDataType, long[] dims, String docString,
                              TensorData data, List<String> strings, Object origin, boolean dataInOrigin) {
        return new Tensor(name, dataType, rawDataType, dims, docString, data, strings, origin, dataInOrigin);
    }

    /** The same tensor under another name. */
    public Tensor withName(String newName) {
        return new Tensor(newName, dataType, rawDataType, dims, docString, data, strings, origin, dataInOrigin);
    }

    public String name() {
        return name;
    }

    /** The element type, or null if the file named a type number this version does not know. */
    public DataType dataType() {
        return dataType;
    }

    /** The element type's number as written in the file, or -1 if the file left it unset. */
    public int rawDataType() {
        return rawDataType;
    }

    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long elementCount() {
        return elementCount(dims);
    }

    public String docString() {
        return docString;
    }

    /** Where the bytes live; null for STRING tensors. */
    public TensorData data() {
        return data;
    }

    /** Size of the raw byte form (0 for STRING tensors). */
    public long byteSize() {
        return data == null ? 0 : data.byteSize();
    }

    /** The raw little-endian bytes (see {@link TensorData#bytes()}). */
    public ByteBuffer bytes() {
        if (data == null) throw new IllegalStateException("tensor '" + name + "' of " + dataType + " has no raw bytes");
        return data.bytes();
    }

    /** The elements of a STRING tensor. */
    public List<String> strings() {
        if (strings == null) throw new IllegalStateException("tensor '" + name + "' is not a STRING tensor");
        return strings;
    }

    public float[] toFloats() {
        if (dataType != DataType.FLOAT) throw new IllegalStateException("tensor '" + name + "' is " + dataType);
        float[] out = new float[Math.toIntExact(elementCount())];
        bytes().asFloatBuffer().get(out);
        return out;
    }

    public long[] toLongs() {
        if (dataType != DataType.INT64) throw new IllegalStateException("tensor '" + name + "' is " + dataType);
        long[] out = new long[Math.toIntExact(elementCount())];
        bytes().asLongBuffer().get(out);
        return out;
    }

    /** The file's element as read, with modelled fields cleared; null for tensors made in memory. */
    public Object origin() {
        return origin;
    }

    /** True when {@link #origin()} holds this tensor's element data exactly as the file stored it. */
    public boolean dataInOrigin() {
        return dataInOrigin;
    }

    /** Number of elements of a shape; fails on negative or overflowing dimensions. */
    public static long elementCount(long[] dims) {
        long n = 1;
        for (long d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension " + d + " in " + Arrays.toString(dims));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return "Tensor(" + name + ": " + (dataType != null ? dataType : "type#" + rawDataType) + Arrays.toString(dims) + ")";
    }
}
