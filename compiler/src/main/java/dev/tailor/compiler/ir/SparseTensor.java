package dev.tailor.compiler.ir;

/**
 * A sparse tensor in coordinate form: {@code values} holds the non-default elements, {@code indices} their
 * positions (either [NNZ, rank] coordinates or [NNZ] linear indices), {@code dims} the dense shape.
 */
public record SparseTensor(Tensor values, Tensor indices, long[] dims, Object origin) {
    public SparseTensor {
        dims = dims.clone();
    }

    public String name() {
        return values == null ? null : values.name();
    }
}
