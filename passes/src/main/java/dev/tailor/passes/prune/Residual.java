package dev.tailor.passes.prune;

import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.PassException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A candidate's residual add, held by the names of its values so that it can be found again in any copy of the
 * model: {@code sum = stream + branch}, with the branch at input {@code branch} of the add.
 *
 * @param id     the sublayer's id ({@code b3.ffn})
 * @param sum    the add's output: the stream after the branch, before a post-norm
 * @param stream the add's stream input: what the sum becomes when the sublayer is removed
 * @param branch which input of the add carries the branch (0 or 1)
 */
record Residual(String id, String sum, String stream, int branch) {

    /** The residual of {@code s}; fused residuals (SkipLayerNormalization) cannot be gated yet. */
    static Residual of(Sublayer s) {
        Node add = s.residual();
        if (!add.opType().equals("Add") || !add.domainName().isEmpty() || add.inputs().size() != 2)
            throw new PassException("prune", s.id() + ": its residual is " + add.opType() + " '" + add.name()
                    + "'; fused residuals such as SkipLayerNormalization are not supported yet (prune the model "
                    + "before fusing it, or exclude the sublayer with keep=[" + s.id() + "])");
        int branch;
        if (add.input(0) == s.branchOut()) branch = 0;
        else if (add.input(1) == s.branchOut()) branch = 1;
        else throw new IllegalStateException(s.id() + ": branch output " + s.branchOut() + " is not an input of " + add);
        return new Residual(s.id(), add.output(0).name(), add.input(1 - branch).name(), branch);
    }

    /** The add in {@code values} (a model's values by name, see {@link #values}). */
    Node add(Map<String, Value> values) {
        Value v = values.get(sum);
        if (v == null || v.producer() == null)
            throw new IllegalStateException(id + ": no node computes '" + sum + "' in this copy of the model");
        return v.producer();
    }

    /** Makes the add pass its stream input through: the branch's nodes become dead. */
    void bypass(Graph g, Map<String, Value> values) {
        Node add = add(values);
        Value stream = add.input(1 - branch);
        Value out = add.output(0);
        if (out.isGraphOutput()) {
            // The graph output keeps its name: an Identity takes the add's place.
            String name = out.name();
            out.setName(name + "__pruned");
            Node id = new Node("Identity", List.of(stream), name);
            id.output(0).setType(out.type());
            g.insertBefore(add, id);
            out.replaceAllUsesWith(id.output(0));
            values.put(name, id.output(0));
        } else {
            out.replaceAllUsesWith(stream);
        }
        g.remove(add);
    }

    /** The main graph's values by name: inputs, initializers and node outputs. */
    static Map<String, Value> values(Graph g) {
        Map<String, Value> m = new HashMap<>();
        for (Value v : g.inputs()) m.put(v.name(), v);
        for (Value v : g.initializers()) m.put(v.name(), v);
        for (Node n : g.nodes()) for (Value o : n.outputs()) if (o != null) m.put(o.name(), o);
        return m;
    }
}
