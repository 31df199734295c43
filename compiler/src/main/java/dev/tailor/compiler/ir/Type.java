package dev.tailor.compiler.ir;

import java.util.Objects;

/**
 * The type of a value: a tensor, sparse tensor, sequence, map, optional or opaque type, as in ONNX's TypeProto.
 * Types are immutable values; {@code denotation} is ONNX's optional semantic tag.
 */
public sealed interface Type {

    String denotation();

    /** A dense tensor; {@code shape} is null when the rank is unknown, {@code elementType} null when unset. */
    record Tensor(DataType elementType, Shape shape, String denotation) implements Type {
        public Tensor(DataType elementType, Shape shape) {
            this(elementType, shape, null);
        }
    }

    /** A sparse tensor; same conventions as {@link Tensor}. */
    record SparseTensor(DataType elementType, Shape shape, String denotation) implements Type {}

    /** A sequence; {@code elementType} null when unset. */
    record Sequence(Type elementType, String denotation) implements Type {}

    /** A map from {@code keyType} to {@code valueType}; either may be null when unset. */
    record Map(DataType keyType, Type valueType, String denotation) implements Type {}

    /** An optional value of {@code elementType}. */
    record Optional(Type elementType, String denotation) implements Type {}

    /** An opaque (onnx-ml) type named by domain and name, either possibly null. */
    record Opaque(String domain, String name, String denotation) implements Type {}

    /**
     * A type the file held with no value case set (an empty TypeProto): kept so that it round-trips.
     */
    record Unset(String denotation) implements Type {}

    static Tensor tensor(DataType elementType, Object... dims) {
        return new Tensor(Objects.requireNonNull(elementType), Shape.of(dims));
    }
}
