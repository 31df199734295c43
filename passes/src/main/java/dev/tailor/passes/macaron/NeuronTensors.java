package dev.tailor.passes.macaron;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Tensor;

/**
 * Float tensor arithmetic along one axis: the rows or columns of an FFN's matrices that belong to chosen hidden
 * neurons, scaled. Results live on the heap; the source tensor is only read.
 */
final class NeuronTensors {
    private NeuronTensors() {}

    /**
     * The slices {@code indices} of {@code t} along {@code axis}, in that order, each element times {@code scale}.
     * A scale of 1 over every index in order is a copy.
     */
    static Tensor take(Tensor t, int axis, int[] indices, float scale, String name) {
        if (t.dataType() != DataType.FLOAT)
            throw new IllegalArgumentException(t.name() + " is " + t.dataType() + "; only float weights are supported");
        long[] dims = t.dims();
        Axis a = Axis.of(dims, axis);
        float[] src = t.toFloats();
        float[] out = new float[a.outer * indices.length * a.inner];
        int k = 0;
        for (int o = 0; o < a.outer; o++)
            for (int index : indices) {
                int from = (o * a.width + index) * a.inner;
                for (int j = 0; j < a.inner; j++) out[k++] = src[from + j] * scale;
            }
        long[] shape = dims.clone();
        shape[axis] = indices.length;
        return Tensor.ofFloats(name, shape, out);
    }

    /** {@code t} times {@code scale} (0 gives zeros of its shape). */
    static Tensor scaled(Tensor t, float scale, String name) {
        return take(t, 0, all(t.dims()[0]), scale, name);
    }

    /** A copy of {@code t} under a new name that shares its data (nothing is read). */
    static Tensor copy(Tensor t, String name) {
        return t.withName(name);
    }

    /**
     * A down matrix whose contribution moves from before a post-norm to after it: each output row (the vector a
     * neuron writes) is centred when the norm is a LayerNorm (it removes the mean), then scaled per feature by the
     * norm's gain and by the mean inverse scale {@code 1/sigma} the norm divided by on calibration data.
     */
    static Tensor throughNorm(Tensor down, int featureAxis, float[] gain, double inverseSigma, boolean center,
                              String name) {
        long[] d = down.dims();
        int features = (int) d[featureAxis];
        int neurons = (int) d[1 - featureAxis];
        float[] w = down.toFloats();
        float[] out = new float[w.length];
        for (int j = 0; j < neurons; j++) {
            double mean = 0;
            if (center) {
                for (int h = 0; h < features; h++) mean += w[index(featureAxis, j, h, neurons, features)];
                mean /= features;
            }
            for (int h = 0; h < features; h++) {
                int i = index(featureAxis, j, h, neurons, features);
                out[i] = (float) ((w[i] - mean) * (gain == null ? 1 : gain[h]) * inverseSigma);
            }
        }
        return Tensor.ofFloats(name, d.clone(), out);
    }

    private static int index(int featureAxis, int neuron, int feature, int neurons, int features) {
        return featureAxis == 1 ? neuron * features + feature : feature * neurons + neuron;
    }

    /** Sum of squares of each slice of a float matrix along {@code axis}. */
    static double[] squaredNorms(Tensor t, int axis) {
        Axis a = Axis.of(t.dims(), axis);
        float[] src = t.toFloats();
        double[] out = new double[a.width];
        for (int o = 0; o < a.outer; o++)
            for (int w = 0; w < a.width; w++)
                for (int j = 0; j < a.inner; j++) {
                    double v = src[(o * a.width + w) * a.inner + j];
                    out[w] += v * v;
                }
        return out;
    }

    /** A row-major tensor seen along one axis: elements before it, its width, elements after it. */
    private record Axis(int outer, int width, int inner) {
        static Axis of(long[] dims, int axis) {
            long outer = 1;
            for (int i = 0; i < axis; i++) outer *= dims[i];
            long inner = 1;
            for (int i = axis + 1; i < dims.length; i++) inner *= dims[i];
            return new Axis(Math.toIntExact(outer), Math.toIntExact(dims[axis]), Math.toIntExact(inner));
        }
    }

    static int[] all(long n) {
        int[] a = new int[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = i;
        return a;
    }
}
