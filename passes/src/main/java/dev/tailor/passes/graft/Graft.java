package dev.tailor.passes.graft;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.AnatomyException;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.PassException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Grafts small trainable subgraphs (bottleneck adapters, LoRA branches) onto a model's main graph: named weights,
 * optionally exposed as graph inputs (an initializer that is also an input is a default the caller may override,
 * which is how training tools feed weights), and nodes inserted in order after an anchor, each tagged
 * {@code tailor.pass} in its metadata so that reports can say which pass made it.
 */
public final class Graft {
    /** The metadata key that names the pass that made a node. */
    public static final String PASS_KEY = "tailor.pass";

    private final Graph graph;
    private final String pass;
    private final boolean expose;
    private final Set<String> taken = new HashSet<>();
    private long parameters;

    public Graft(Model model, String pass, boolean expose) {
        this.graph = model.graph();
        this.pass = pass;
        this.expose = expose;
        for (Value v : graph.inputs()) taken.add(v.name());
        for (Value v : graph.initializers()) taken.add(v.name());
        for (Node n : graph.nodes()) for (Value o : n.outputs()) if (o != null) taken.add(o.name());
    }

    /** The model's anatomy, or the pass's one-line refusal when it has no transformer blocks. */
    public static Anatomy anatomy(Model model, String pass) {
        try {
            return Anatomy.of(model).requireBlocks();
        } catch (AnatomyException e) {
            throw new PassException(pass, e.getMessage());
        }
    }

    /** Elements of the weights added so far. */
    public long parameters() {
        return parameters;
    }

    /**
     * Adds float weight {@code name} ({@code [dims]}, row-major {@code values}), exposed as a graph input when the
     * graft was made with {@code expose}. The name must be free: weights are addressed by it.
     */
    public Value weight(String name, long[] dims, float[] values) {
        if (!taken.add(name))
            throw new PassException(pass, "the model already has a value named '" + name + "' (was " + pass
                    + " applied twice?)");
        Value v = graph.addInitializer(Tensor.ofFloats(name, dims, values));
        v.setType(new Type.Tensor(DataType.FLOAT, Shape.of(dims)));
        if (expose) graph.addInput(v);
        parameters += values.length;
        return v;
    }

    /** A cursor that inserts nodes one after another, starting after {@code anchor}. */
    public Cursor after(Node anchor) {
        return new Cursor(anchor);
    }

    /** Inserts nodes in order; each new node's output is named {@code prefix/op} (made unique). */
    public final class Cursor {
        private Node last;

        private Cursor(Node anchor) {
            this.last = anchor;
        }

        /** Appends {@code opType(inputs)} after the previous node and returns its output. */
        public Value op(String prefix, String opType, Value... inputs) {
            String base = prefix + "/" + opType;
            String name = base;
            for (int i = 1; !taken.add(name); i++) name = base + "_" + i;
            Node n = new Node(opType, List.of(inputs), name);
            n.setName(name);
            n.metadata().put(PASS_KEY, pass);
            graph.insertAfter(last, n);
            last = n;
            return n.output(0);
        }
    }

    /** Makes every use of {@code old} except by {@code keep} read {@code now} (graph outputs too). */
    public static void redirect(Value old, Value now, Node keep) {
        for (Use u : old.uses()) if (u.node() != keep) u.node().setInput(u.index(), now);
        Graph g = old.graph();
        if (g != null)
            for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == old) g.setOutput(i, now);
    }

    /** A float scalar constant named {@code name} (unique), not exposed. */
    public Value scalar(String name, float value) {
        String n = name;
        for (int i = 1; !taken.add(n); i++) n = name + "_" + i;
        return graph.addInitializer(Tensor.ofFloats(n, new long[0], value));
    }
}
