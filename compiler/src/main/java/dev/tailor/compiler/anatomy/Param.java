package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.util.Arrays;

/**
 * One constant a sublayer reads: a weight matrix, a bias or a norm's gain, or the part of one that a role owns.
 *
 * @param value         the initializer (or Constant output) that holds the tensor
 * @param tensor        its tensor
 * @param featureAxis   the axis of the stored tensor that indexes output features (1 for MatMul's {@code [in, out]},
 *                      0 for Gemm with {@code transB=1}; 0 for vectors)
 * @param columns       the output features that belong to this role, or null when all do
 */
public record Param(Value value, Tensor tensor, int featureAxis, Columns columns) {

    /** The name of the tensor. */
    public String name() {
        return value.name();
    }

    /** The stored shape of the whole tensor. */
    public long[] storedShape() {
        return tensor.dims();
    }

    /**
     * The shape of the part this role owns, in the stored layout: the stored shape with the feature axis cut to the
     * part's width.
     */
    public long[] shape() {
        long[] d = tensor.dims();
        if (columns != null && featureAxis < d.length) d[featureAxis] = columns.width();
        return d;
    }

    /** True when the role owns only part of the tensor (fused QKV, packed gate and up). */
    public boolean isPart() {
        return columns != null && columns.width() != tensor.dims()[featureAxis];
    }

    /** Number of elements this role owns. */
    public long elementCount() {
        long n = 1;
        for (long d : shape()) n *= d;
        return n;
    }

    Param withColumns(Columns c) {
        return new Param(value, tensor, featureAxis, c);
    }

    @Override
    public String toString() {
        return name() + Arrays.toString(storedShape()) + (isPart() ? "[" + columns + "]" : "");
    }
}
