package dev.tailor.passes.macaron;

import dev.tailor.compiler.anatomy.Norm;
import dev.tailor.compiler.anatomy.Param;
import dev.tailor.compiler.anatomy.Role;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The parameters of one FFN sublayer by hidden neuron: up and gate own a column per neuron (with their biases),
 * down a row. Derived parameter sets are new initializers plus a map from the original values to them, which a
 * copy of the branch (or the branch itself) then reads.
 */
final class FfnParams {
    final Sublayer ffn;
    final Weight up;
    final Weight gate;
    final Weight down;
    final int hidden;

    private FfnParams(Sublayer ffn, Weight up, Weight gate, Weight down) {
        this.ffn = ffn;
        this.up = up;
        this.gate = gate;
        this.down = down;
        this.hidden = (int) up.out();
    }

    /** The FFN's parameters, or IllegalArgumentException saying what is missing or unsupported. */
    static FfnParams of(Sublayer s) {
        Weight up = s.weight(Role.UP);
        Weight down = s.weight(Role.DOWN);
        if (up == null || down == null)
            throw new IllegalArgumentException(s.id() + " has no " + (up == null ? "up" : "down") + " projection");
        if (down.matrix().tensor().rank() != 2)
            throw new IllegalArgumentException(s.id() + ".down is not a matrix: " + down.matrix());
        for (Weight w : new Weight[] {up, s.weight(Role.GATE), down})
            if (w != null && w.matrix().tensor().dataType() != DataType.FLOAT)
                throw new IllegalArgumentException(w.id() + " is " + w.matrix().tensor().dataType()
                        + "; macaron needs float weights (run it before quantize)");
        return new FfnParams(s, up, s.weight(Role.GATE), down);
    }

    /** True when up or gate is part of a packed tensor, so neurons cannot be cut out of it. */
    boolean packed() {
        return up.fused() || (gate != null && gate.fused());
    }

    /** Squared length of each neuron's row of down: how much a unit of its activation moves the output. */
    double[] downRowNorms() {
        return NeuronTensors.squaredNorms(down.matrix().tensor(), downHiddenAxis());
    }

    /**
     * The activation down multiplies: the other operand of the MatMul or Gemm that reads down's matrix (directly or
     * through a Transpose or Cast), or IllegalArgumentException when no such node is in the sublayer.
     */
    Value hiddenActivation() {
        Value m = down.matrix().value();
        for (Node n : ffn.nodes()) {
            int at = n.inputs().indexOf(m);
            if (at < 0) continue;
            if ((n.opType().equals("MatMul") || n.opType().equals("Gemm")) && at == 1) return n.input(0);
            if ((n.opType().equals("Transpose") || n.opType().equals("Cast")) && n.output(0) != null)
                m = n.output(0);
        }
        for (Node n : ffn.nodes())
            if ((n.opType().equals("MatMul") || n.opType().equals("Gemm")) && n.inputs().indexOf(m) == 1)
                return n.input(0);
        throw new IllegalArgumentException(ffn.id() + ": no MatMul or Gemm multiplies by " + down.matrix());
    }

    private int downHiddenAxis() {
        return 1 - down.matrix().featureAxis();
    }

    /**
     * New initializers for a copy of the FFN that computes only {@code neurons} and scales its output: down times
     * {@code downScale}, down's bias times {@code biasScale}. With {@code ownInputs} up and gate (and their biases)
     * get their own initializers (sliced to the neurons, or shared data when all are kept); without, they stay.
     */
    Map<Value, Value> derive(Graph g, FreshNames names, String tag, int[] neurons, boolean ownInputs, float downScale,
                             float biasScale) {
        boolean all = neurons.length == hidden;
        if (!all && packed()) throw new IllegalStateException(ffn.id() + ": a packed gate/up cannot be sliced");
        Map<Value, Value> m = new IdentityHashMap<>();
        if (ownInputs || !all) {
            for (Weight w : new Weight[] {up, gate}) {
                if (w == null) continue;
                Param p = w.matrix();
                m.put(p.value(), add(g, all ? NeuronTensors.copy(p.tensor(), names.fresh(p.name() + tag))
                        : NeuronTensors.take(p.tensor(), p.featureAxis(), neurons, 1f, names.fresh(p.name() + tag))));
                if (w.bias() != null) {
                    Param b = w.bias();
                    m.put(b.value(), add(g, all ? NeuronTensors.copy(b.tensor(), names.fresh(b.name() + tag))
                            : NeuronTensors.take(b.tensor(), 0, neurons, 1f, names.fresh(b.name() + tag))));
                }
            }
        }
        Param d = down.matrix();
        if (!all || downScale != 1f)
            m.put(d.value(), add(g, NeuronTensors.take(d.tensor(), downHiddenAxis(), neurons, downScale,
                    names.fresh(d.name() + tag))));
        Param db = down.bias();
        if (db != null && biasScale != 1f)
            m.put(db.value(), add(g, NeuronTensors.scaled(db.tensor(), biasScale, names.fresh(db.name() + tag))));
        return m;
    }

    /**
     * Makes the derived down matrix in {@code m} write after the FFN's post-norm instead of before it, for moved
     * neurons whose output now joins the stream past that norm (see {@link NeuronTensors#throughNorm}).
     */
    void throughPostNorm(Map<Value, Value> m, double inverseSigma) {
        Norm norm = ffn.norm();
        Value d = m.get(down.matrix().value());
        float[] gain = norm.gain() == null ? null : norm.gain().tensor().toFloats();
        Tensor moved = NeuronTensors.throughNorm(d.initializer(), down.matrix().featureAxis(), gain, inverseSigma,
                norm.kind() == Norm.Kind.LAYER_NORM, d.name());
        d.setInitializer(moved);
    }

    /** Copies of the gain and bias of {@code norm} (sharing their data), for a front half-step's own norm. */
    static Map<Value, Value> ownNorm(Graph g, FreshNames names, Norm norm, String tag) {
        Map<Value, Value> m = new IdentityHashMap<>();
        for (Param p : new Param[] {norm.gain(), norm.bias()})
            if (p != null) m.put(p.value(), add(g, NeuronTensors.copy(p.tensor(), names.fresh(p.name() + tag))));
        return m;
    }

    private static Value add(Graph g, Tensor t) {
        return g.addInitializer(t);
    }
}
