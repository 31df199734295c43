package dev.tailor.passes.adapter;

import dev.tailor.compiler.ir.Floats;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.safetensors.SafeTensors;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/** Trained adapter weights from a safetensors file, by site name; every tensor must find its site. */
final class AdapterWeights {
    private final SafeTensors file;
    private final Set<String> unused;

    private AdapterWeights(SafeTensors file) {
        this.file = file;
        this.unused = new LinkedHashSet<>(file.tensors().keySet());
    }

    static AdapterWeights of(SafeTensors file) {
        return new AdapterWeights(file);
    }

    /** The weights of {@code site} ({@code b3.ffn.adapter}), checked against the shapes the sublayer needs. */
    Bottleneck.Weights take(String site, long hidden, long size) {
        Tensor down = file.tensors().get(site + ".down");
        if (down == null) throw Adapter.error(file, site + ".down", "is missing: the file must hold the weights of "
                + "every adapter the pass inserts (" + site + ".down [" + hidden + ", " + size + "] and .up)");
        if (down.rank() != 2 || down.dims()[0] != hidden || down.dims()[1] <= 0)
            throw Adapter.error(file, site + ".down", "shape mismatch: it is " + Arrays.toString(down.dims())
                    + ", the site needs [" + hidden + ", size] (hidden " + hidden + ", [in, out] layout)");
        long width = down.dims()[1];
        float[] d = values(site + ".down", hidden, width);
        float[] u = values(site + ".up", width, hidden);
        float[] db = bias(site + ".down_bias", width);
        float[] ub = bias(site + ".up_bias", hidden);
        return new Bottleneck.Weights(hidden, width, d, db, u, ub);
    }

    /** Fails naming the first tensor that no inserted adapter took (a misspelt or foreign site). */
    void requireAllUsed() {
        if (!unused.isEmpty())
            throw Adapter.error(file, unused.iterator().next(), "belongs to no adapter the pass inserted (names are "
                    + "<block>.<sublayer>.adapter.down|down_bias|up|up_bias, such as b0.ffn.adapter.down)");
    }

    private float[] values(String name, long... dims) {
        Tensor t = file.tensors().get(name);
        if (t == null) throw Adapter.error(file, name, "is missing");
        if (!Arrays.equals(t.dims(), dims))
            throw Adapter.error(file, name, "shape mismatch: it is " + Arrays.toString(t.dims()) + ", the site needs "
                    + Arrays.toString(dims) + " ([in, out] layout; down's second dimension sets the size)");
        if (!Floats.decodable(t.dataType()))
            throw Adapter.error(file, name, "is " + t.dataType() + "; expected F32, F16, BF16 or F64");
        unused.remove(name);
        return Floats.decode(t);
    }

    private float[] bias(String name, long length) {
        return file.tensors().containsKey(name) ? values(name, length) : new float[(int) length];
    }
}
