package dev.tailor.passes.prune;

import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.Evaluator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model with every candidate's branch multiplied by a scalar gate fed as a graph input
 * ({@code stream + gate_i * branch_i}: 1 keeps the sublayer, 0 removes it), prepared once. Any set of removals is
 * then one run per calibration batch; the reference outputs (all gates 1) are computed once and cached.
 *
 * <p>The gates are put into the model itself, the model is prepared, and the gates are taken out again at once
 * ({@link #ungate}), so the caller's model is unchanged when this returns from its constructor.
 */
final class GatedModel implements AutoCloseable {
    private final List<Sublayer> candidates;
    private final List<String> gateNames = new ArrayList<>();
    private final Evaluator.Prepared prepared;
    private final List<Map<String, Tensor>> batches;
    private final String output;
    private final Scoring.Kind kind;
    /** Reference outputs per batch: the scored output's floats, and the extra values asked for. */
    private final List<Map<String, Tensor>> reference = new ArrayList<>();
    private int evaluations;

    /**
     * @param extra values (by name) the reference run should also return, e.g. block boundaries for shortgpt
     */
    GatedModel(Model model, List<Sublayer> candidates, Evaluator evaluator, List<Map<String, Tensor>> batches,
               String output, List<String> extra) {
        this.candidates = List.copyOf(candidates);
        this.batches = batches;
        this.output = output;
        Graph g = model.graph();
        Set<String> taken = names(g);
        List<Node> muls = new ArrayList<>();
        List<Value> gates = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Sublayer s = candidates.get(i);
            Node add = s.residual();
            int branchIndex = branchIndex(s);
            Value branch = add.input(branchIndex);
            DataType dt = elementType(branch);
            String name = unique(taken, "tailor_prune_gate_" + s.id().replace('.', '_'));
            Value gate = g.addInput(new Value(name, new Type.Tensor(DataType.FLOAT, dev.tailor.compiler.ir.Shape.of())));
            Value factor = gate;
            if (dt != null && dt != DataType.FLOAT) {
                Node cast = new Node("Cast", List.of(gate), unique(taken, name + "_cast"));
                cast.setAttribute(Attribute.of("to", (long) dt.code()));
                g.insertBefore(add, cast);
                muls.add(cast);
                factor = cast.output(0);
            }
            Node mul = new Node("Mul", List.of(branch, factor), unique(taken, name + "_mul"));
            g.insertBefore(add, mul);
            add.setInput(branchIndex, mul.output(0));
            muls.add(mul);
            gates.add(gate);
            gateNames.add(name);
        }
        List<String> outs = new ArrayList<>();
        outs.add(output);
        for (String e : extra) if (!outs.contains(e)) outs.add(e);
        Evaluator.Prepared p;
        try {
            p = evaluator.prepare(model, outs);
        } finally {
            ungate(g, candidates, muls, gates);
        }
        this.prepared = p;
        Map<String, Tensor> ones = gates(new boolean[candidates.size()]);
        Scoring.Kind k = null;
        for (Map<String, Tensor> b : batches) {
            Map<String, Tensor> in = new LinkedHashMap<>(b);
            in.putAll(ones);
            Map<String, Tensor> r = prepared.run(in);
            reference.add(r);
            if (k == null) k = Scoring.kindOf(output, r.get(output));
        }
        this.kind = k;
    }

    /** Which input of the residual add carries the branch. */
    static int branchIndex(Sublayer s) {
        Node add = s.residual();
        if (!add.opType().equals("Add") || !add.domainName().isEmpty() || add.inputs().size() != 2)
            throw new IllegalArgumentException(s.id() + ": residual is " + add.opType() + " (fused residuals such as "
                    + "SkipLayerNormalization are not supported by prune yet)");
        if (add.input(0) == s.branchOut()) return 0;
        if (add.input(1) == s.branchOut()) return 1;
        throw new IllegalStateException(s.id() + ": branch output " + s.branchOut() + " is not an input of " + add);
    }

    private static void ungate(Graph g, List<Sublayer> candidates, List<Node> inserted, List<Value> gates) {
        for (Sublayer s : candidates) {
            Node add = s.residual();
            for (int i = 0; i < 2; i++) {
                Node p = add.input(i).producer();
                if (p != null && inserted.contains(p)) add.setInput(i, s.branchOut());
            }
        }
        for (int i = inserted.size() - 1; i >= 0; i--) g.remove(inserted.get(i));
        for (Value v : gates) g.removeInput(v);
    }

    private static DataType elementType(Value v) {
        return v.type() instanceof Type.Tensor t ? t.elementType() : null;
    }

    static Set<String> names(Graph g) {
        Set<String> taken = new HashSet<>();
        for (Value v : g.inputs()) taken.add(v.name());
        for (Value v : g.initializers()) taken.add(v.name());
        for (Node n : g.nodes()) for (Value o : n.outputs()) if (o != null) taken.add(o.name());
        return taken;
    }

    static String unique(Set<String> taken, String base) {
        String name = base;
        for (int i = 1; taken.contains(name); i++) name = base + "_" + i;
        taken.add(name);
        return name;
    }

    Map<String, Tensor> gates(boolean[] removed) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < gateNames.size(); i++)
            m.put(gateNames.get(i), Tensor.ofFloats(gateNames.get(i), new long[0], removed[i] ? 0f : 1f));
        return m;
    }

    Scoring.Kind kind() {
        return kind;
    }

    List<Sublayer> candidates() {
        return candidates;
    }

    /** The cached reference run of batch {@code i}: the scored output and the extra values. */
    Map<String, Tensor> reference(int i) {
        return reference.get(i);
    }

    int batchCount() {
        return batches.size();
    }

    Map<String, Tensor> batch(int i) {
        return batches.get(i);
    }

    /** The distance from the reference, averaged over the calibration tokens, with {@code removed} gated off. */
    double score(boolean[] removed, Scoring.Metric metric) {
        Map<String, Tensor> g = gates(removed);
        double sum = 0;
        long weight = 0;
        for (int i = 0; i < batches.size(); i++) {
            Map<String, Tensor> in = new LinkedHashMap<>(batches.get(i));
            in.putAll(g);
            Tensor out = prepared.run(in).get(output);
            Scoring.Sum s = Scoring.distance(metric, reference.get(i).get(output), out, batches.get(i).get("attention_mask"));
            sum += s.total();
            weight += s.count();
        }
        evaluations++;
        return weight == 0 ? 0 : sum / weight;
    }

    int evaluations() {
        return evaluations;
    }

    @Override
    public void close() {
        prepared.close();
    }
}
