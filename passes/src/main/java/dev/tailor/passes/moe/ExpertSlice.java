package dev.tailor.passes.moe;

import static dev.tailor.passes.moe.Emitter.list;

import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Emits a dense FFN restricted to one slice {@code [lo, hi)} of the (already permuted) hidden neurons: the up and
 * gate columns of the slice, a copy of the hidden region with its per-neuron constants cut to the slice, and the
 * slice's rows of the down projection. Applied to the tokens routed to one expert (or all tokens, for the shared
 * expert), it gives that expert's contribution.
 */
final class ExpertSlice {
    private ExpertSlice() {}

    static Value emit(Emitter em, FfnSite site, Value x, int lo, int hi, String name) {
        Map<Value, Value> map = new IdentityHashMap<>();
        map.put(site.up.output(0), em.op("MatMul", list(x, columns(em, site.up.input(1), lo, hi, name + "_up"))));
        if (site.gate != null)
            map.put(site.gate.output(0),
                    em.op("MatMul", list(x, columns(em, site.gate.input(1), lo, hi, name + "_gate"))));
        for (Node n : site.region) {
            List<Value> inputs = new ArrayList<>();
            for (Value v : n.inputs()) {
                if (v == null) inputs.add(null);
                else if (map.containsKey(v)) inputs.add(map.get(v));
                else if (site.neuronConstants.contains(v)) inputs.add(columns(em, v, lo, hi, name + "_bias"));
                else inputs.add(v);
            }
            Node c = em.copy(n, inputs);
            for (int i = 0; i < n.outputs().size(); i++) map.put(n.output(i), c.output(i));
        }
        Value w2 = site.down.input(1);
        int out = site.out;
        float[] d = w2.initializer().toFloats();
        float[] rows = new float[(hi - lo) * out];
        System.arraycopy(d, lo * out, rows, 0, rows.length);
        return em.op("MatMul", list(map.get(site.hidden), em.floats(name + "_down", new long[] {hi - lo, out}, rows)));
    }

    /** The columns {@code [lo, hi)} of a constant whose last axis is the hidden width, as a new initializer. */
    private static Value columns(Emitter em, Value v, int lo, int hi, String name) {
        long[] dims = v.initializer().dims();
        int width = (int) dims[dims.length - 1];
        float[] d = v.initializer().toFloats();
        int rows = d.length / width, n = hi - lo;
        float[] c = new float[rows * n];
        for (int r = 0; r < rows; r++) System.arraycopy(d, r * width + lo, c, r * n, n);
        long[] cut = dims.clone();
        cut[cut.length - 1] = n;
        return em.floats(name, cut, c);
    }
}
