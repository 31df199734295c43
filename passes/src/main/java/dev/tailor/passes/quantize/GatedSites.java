package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.Evaluator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every site's float and quantized computations side by side, mixed by a gate fed as a graph input:
 * {@code y = f + g * (q - f)}. One prepared session then evaluates any choice of quantized sites (gate 1) and
 * float sites (gate 0), the float model itself included (all gates 0), so scoring N sites needs no new session
 * per candidate. {@link #commit} then keeps one side of each site and removes the gates.
 */
final class GatedSites {
    private final Rewriter rw;
    private final List<? extends Candidate> sites;
    private final List<Value> quantized;
    private final List<Value> gates = new ArrayList<>();
    private final List<Value> mixed = new ArrayList<>();
    private final List<Node> gateNodes = new ArrayList<>();

    GatedSites(Rewriter rw, List<? extends Candidate> sites, List<Value> quantized) {
        this.rw = rw;
        this.sites = sites;
        this.quantized = quantized;
        for (int i = 0; i < sites.size(); i++) {
            Candidate s = sites.get(i);
            Value f = s.output();
            Value q = quantized.get(i);
            List<dev.tailor.compiler.ir.Use> users = f.uses();
            boolean output = f.isGraphOutput();
            Value g = rw.graph.addInput(new Value(rw.fresh("tailor_quantize_gate_" + i), Type.tensor(DataType.FLOAT)));
            Node last = f.producer();
            Node sub = rw.nodeAfter(last, null, "Sub", "gate_" + i + "_sub", List.of(q, f), 1);
            Node mul = rw.nodeAfter(sub, null, "Mul", "gate_" + i + "_mul", List.of(g, sub.output(0)), 1);
            Node add = rw.nodeAfter(mul, null, "Add", "gate_" + i + "_add", List.of(f, mul.output(0)), 1);
            Value y = add.output(0);
            for (dev.tailor.compiler.ir.Use u : users) u.node().setInput(u.index(), y);
            if (output)
                for (int o = 0; o < rw.graph.outputs().size(); o++)
                    if (rw.graph.outputs().get(o) == f) rw.graph.setOutput(o, y);
            gates.add(g);
            mixed.add(y);
            gateNodes.addAll(List.of(add, mul, sub));
        }
    }

    int size() {
        return sites.size();
    }

    /** The gate inputs for a choice: {@code on[i]} quantizes site i. */
    Map<String, Tensor> feed(Map<String, Tensor> batch, boolean[] on) {
        Map<String, Tensor> m = new LinkedHashMap<>(batch);
        for (int i = 0; i < gates.size(); i++)
            m.put(gates.get(i).name(), Tensor.ofFloats(gates.get(i).name(), new long[0], on[i] ? 1f : 0f));
        return m;
    }

    /** Scores choices against the all-float model on fixed batches, in one prepared session. */
    final class Scorer implements AutoCloseable {
        private final Evaluator.Prepared prepared;
        private final List<Map<String, Tensor>> batches;
        private final List<List<Tensor>> reference = new ArrayList<>();
        private final List<String> outputs = new ArrayList<>();
        int runs;

        Scorer(Evaluator evaluator, List<Map<String, Tensor>> batches) {
            for (Value v : rw.graph.outputs()) outputs.add(v.name());
            this.prepared = evaluator.prepare(rw.model, outputs);
            this.batches = batches;
            boolean[] none = new boolean[gates.size()];
            for (Map<String, Tensor> b : batches) reference.add(run(b, none));
        }

        private List<Tensor> run(Map<String, Tensor> batch, boolean[] on) {
            Map<String, Tensor> r = prepared.run(feed(batch, on));
            List<Tensor> out = new ArrayList<>();
            for (String o : outputs) out.add(r.get(o));
            return out;
        }

        /** The smallest output cosine, over all batches, of the model with {@code on} quantized. */
        double cosine(boolean[] on) {
            runs++;
            Measure.Cosine c = new Measure.Cosine(outputs.size());
            for (int b = 0; b < batches.size(); b++) {
                List<Tensor> got = run(batches.get(b), on);
                for (int o = 0; o < outputs.size(); o++) {
                    Tensor ref = reference.get(b).get(o);
                    if (ref != null && Measure.isFloat(ref)) c.add(o, ref, got.get(o));
                }
            }
            return c.min();
        }

        @Override
        public void close() {
            prepared.close();
        }
    }

    /** Keeps the quantized side of the sites with {@code on[i]} and the float side of the rest; removes the gates. */
    void commit(boolean[] on) {
        List<Node> dead = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            Candidate s = sites.get(i);
            Value f = s.output();
            Value q = quantized.get(i);
            Value y = mixed.get(i);
            String name = f.name();
            Value keep = on[i] ? q : f;
            y.replaceAllUsesWith(keep);
            dead.addAll(gateNodes.subList(3 * i, 3 * i + 3));
            if (on[i]) {
                f.setName(name + "__float");
                q.setName(name);
                if (q.type() == null) q.setType(f.type());
                dead.addAll(s.nodes());
            } else {
                dead.add(q.producer());
            }
        }
        rw.made.addAll(dead);
        rw.removeDead(dead);
        for (Value g : gates) rw.graph.removeInput(g);
    }
}
