package dev.tailor.passes.moe;

import dev.tailor.compiler.anatomy.Role;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.PassException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One FFN sublayer as the moe pass rewrites it: the up (and gate) {@code MatMul}s reading the FFN input {@code x},
 * the element-wise <em>hidden region</em> between them and the down {@code MatMul} (bias add, activation, gating
 * product), and the hidden activation {@code a} the down projection reads. Hidden neurons can be permuted and cut
 * into slices because everything in the region works neuron by neuron: its constants are scalars or vectors of
 * the hidden width, and nothing outside the FFN reads its values.
 *
 * <p>Construction checks all of that and fails with the sublayer and the condition that does not hold.
 */
final class FfnSite {
    /** Operators that act on each hidden neuron alone (with scalar or per-neuron constants). */
    private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Erf", "Tanh", "Sigmoid",
            "Relu", "Gelu", "FastGelu", "BiasGelu", "QuickGelu", "Pow", "Sqrt", "Exp", "Neg", "Softplus", "Clip",
            "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Selu", "Celu", "Mish", "Cast", "Identity", "Abs");

    final Sublayer sublayer;
    final Node up;
    final Node gate;
    final Node down;
    final Value x;
    final Value hidden;
    final int in;
    final int width;
    final int out;
    /** The region's nodes in graph order. */
    final List<Node> region;
    /** Constants of the hidden width that region nodes read (biases); permuted and sliced with the neurons. */
    final Set<Value> neuronConstants;
    private float[] w1;
    private float[] wg;
    private float[] w2;

    private FfnSite(Sublayer s, Node up, Node gate, Node down, List<Node> region, Set<Value> neuronConstants) {
        this.sublayer = s;
        this.up = up;
        this.gate = gate;
        this.down = down;
        this.x = up.input(0);
        this.hidden = down.input(0);
        this.region = region;
        this.neuronConstants = neuronConstants;
        long[] w1 = up.input(1).initializer().dims();
        this.in = (int) w1[0];
        this.width = (int) w1[1];
        this.out = (int) down.input(1).initializer().dims()[1];
    }

    static FfnSite of(Sublayer s) {
        if (s.ffn() == null) throw fail(s, "is not an FFN sublayer");
        Node up = matmul(s, Role.UP);
        Node gate = s.ffn().gated() ? matmul(s, Role.GATE) : null;
        Node down = matmul(s, Role.DOWN);
        if (gate != null && gate.input(0) != up.input(0))
            throw fail(s, "gate and up read different inputs (" + gate.input(0) + ", " + up.input(0) + ")");
        long width = up.input(1).initializer().dims()[1];
        if (down.input(1).initializer().dims()[0] != width)
            throw fail(s, "down has " + down.input(1).initializer().dims()[0] + " input features, up " + width
                    + " outputs");
        if (down.output(0).isGraphOutput())
            throw fail(s, "the down projection's output is a graph output");

        // The region: every node on a path from up/gate to down's input.
        Set<Node> ends = Collections.newSetFromMap(new IdentityHashMap<>());
        ends.add(up);
        if (gate != null) ends.add(gate);
        Set<Node> region = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>(List.of(down.input(0)));
        while (!work.isEmpty()) {
            Value v = work.pop();
            Node p = v.producer();
            if (p == null || ends.contains(p) || region.contains(p) || isConstant(v)) continue;
            if (!s.nodes().contains(p))
                throw fail(s, "the hidden activation depends on " + p + ", which lies outside the FFN");
            if (!ELEMENTWISE.contains(p.opType()))
                throw fail(s, "node " + p + " between up and down is " + p.opType() + ", not element-wise");
            region.add(p);
            work.addAll(p.inputs());
        }
        Set<Value> neuronConstants = new LinkedHashSet<>();
        for (Node n : region) {
            for (Value v : n.inputs()) {
                if (v == null || !isConstant(v)) continue;
                long count = elements(v);
                if (count == 1) continue;
                if (count != width || v.initializer() == null || lastDim(v) != width)
                    throw fail(s, "node " + n + " reads constant '" + v.name() + "' that is neither a scalar nor a "
                            + "vector of the hidden width " + width + " (run fold first if it is a Constant node)");
                neuronConstants.add(v);
            }
            for (Value o : n.outputs())
                for (Use u : o.uses())
                    if (!region.contains(u.node()) && u.node() != down)
                        throw fail(s, "value '" + o.name() + "' inside the FFN is also read by " + u.node());
        }
        for (Node end : ends)
            for (Use u : end.output(0).uses())
                if (!region.contains(u.node()) && u.node() != down)
                    throw fail(s, "the output of " + end + " is also read by " + u.node());
        List<Node> ordered = new ArrayList<>();
        for (Node n : up.graph().nodes()) if (region.contains(n)) ordered.add(n);
        return new FfnSite(s, up, gate, down, ordered, neuronConstants);
    }

    /** The MatMul that applies the weight of {@code role}, which must be a float [in, out] initializer of its own. */
    private static Node matmul(Sublayer s, Role role) {
        Weight w = s.weight(role);
        if (w == null) throw fail(s, "has no " + role + " weight");
        if (w.fused()) throw fail(s, "its " + role + " weight is part of a packed tensor (" + w.matrix() + ")");
        Value v = w.matrix().value();
        Tensor t = v.initializer();
        if (t == null || t.dataType() != DataType.FLOAT || t.rank() != 2)
            throw fail(s, "its " + role + " weight '" + v.name() + "' is not a float matrix initializer");
        if (v.useCount() != 1)
            throw fail(s, "its " + role + " weight '" + v.name() + "' is shared with " + (v.useCount() - 1)
                    + " other node(s)");
        Node n = v.uses().get(0).node();
        if (!n.opType().equals("MatMul") || !n.domainName().isEmpty() || n.input(1) != v)
            throw fail(s, "its " + role + " weight is applied by " + n + ", not by MatMul(x, W) (Gemm and "
                    + "transposed layouts are not supported)");
        return n;
    }

    private static boolean isConstant(Value v) {
        if (v.initializer() != null) return true;
        Node p = v.producer();
        return p != null && p.opType().equals("Constant") && p.inputs().isEmpty();
    }

    private static long elements(Value v) {
        if (v.initializer() != null) return v.initializer().elementCount();
        var a = v.producer().attribute("value");
        return a == null ? 1 : a.asTensor().elementCount();
    }

    private static long lastDim(Value v) {
        long[] d = v.initializer().dims();
        return d.length == 0 ? 1 : d[d.length - 1];
    }

    static PassException fail(Sublayer s, String why) {
        return new PassException("moe", s.id() + ": " + why);
    }

    /** The original up weights ({@code in × width}, row-major), read once. */
    float[] upWeights() {
        if (w1 == null) w1 = up.input(1).initializer().toFloats();
        return w1;
    }

    /** The original gate weights, or null for a plain FFN. */
    float[] gateWeights() {
        if (gate != null && wg == null) wg = gate.input(1).initializer().toFloats();
        return wg;
    }

    /** The original down weights ({@code width × out}). */
    float[] downWeights() {
        if (w2 == null) w2 = down.input(1).initializer().toFloats();
        return w2;
    }

    /** The bias added right after the up projection (the anatomy's up bias), or null. */
    float[] upBias() {
        Weight w = sublayer.weight(Role.UP);
        return w.bias() == null ? null : w.bias().value().initializer().toFloats();
    }

    /** The bias of the gate projection, or null. */
    float[] gateBias() {
        Weight w = sublayer.weight(Role.GATE);
        return w == null || w.bias() == null ? null : w.bias().value().initializer().toFloats();
    }

    /**
     * Reorders the hidden neurons: new neuron {@code i} is old neuron {@code order[i]}. Columns of up and gate,
     * the region's per-neuron constants and rows of down move together, so the FFN computes the same function.
     */
    void permute(int[] order) {
        permuteColumns(up.input(1), order);
        if (gate != null) permuteColumns(gate.input(1), order);
        for (Value c : neuronConstants) permuteColumns(c, order);
        Value w2 = down.input(1);
        float[] d = w2.initializer().toFloats();
        float[] p = new float[d.length];
        for (int i = 0; i < width; i++) System.arraycopy(d, order[i] * out, p, i * out, out);
        w2.setInitializer(Tensor.ofFloats(w2.name(), w2.initializer().dims(), p));
    }

    /** Permutes the last axis of a constant whose last axis is the hidden width. */
    private void permuteColumns(Value v, int[] order) {
        if (v.useCount() != 1) throw fail(sublayer, "constant '" + v.name() + "' is shared with other nodes");
        float[] d = v.initializer().toFloats();
        float[] p = new float[d.length];
        int rows = d.length / width;
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < width; i++) p[r * width + i] = d[r * width + order[i]];
        v.setInitializer(Tensor.ofFloats(v.name(), v.initializer().dims(), p));
    }
}
