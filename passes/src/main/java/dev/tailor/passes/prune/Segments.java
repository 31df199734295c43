package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.ModelCopy;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.passes.cleanup.DeadCodeElimination;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model cut at every candidate's residual sum into a chain of segments, each prepared once: segment {@code k}
 * is fed {@code sum_{k-1}} (segment 0 the graph's inputs) and computes candidate {@code k}'s stream input and
 * {@code sum_k} (the last one the scored output too); the head, fed the last sum, computes the scored output. Any
 * suffix of the model, with any set of candidates removed, is then a run of consecutive segments, and every stream
 * value of the run comes out on the way. Running a chain costs about 5% more than running the whole model in one
 * session (MiniLM, batches of 8 × 128 tokens).
 *
 * <p>Each candidate's segment comes in two forms: with its sublayer, ungated (so that ONNX Runtime fuses it as it
 * would the original model), and without it, computing only the stream input the sum becomes (a post-norm; nothing
 * in a pre-norm model, where it is the segment's input). A removed sublayer therefore costs nothing, where the
 * gated model computes it and multiplies it by zero. The kept forms together hold the model's weights once, so
 * preparing them costs about what preparing the whole model does; the removed forms are prepared when first used.
 *
 * <p>Values a segment needs from before its cut other than the sum (an attention mask, rotary tables) are
 * recomputed in it from the graph inputs. Another candidate's gate that a segment still computes through (in a
 * model whose branches read streams from before the previous sum) stays gated and is fed.
 */
final class Segments implements AutoCloseable {
    private final GatedModel gated;
    private final Evaluator evaluator;
    private final List<Residual> residuals;
    private final String output;
    private final Segment[] kept;
    /** Each candidate's segment without its sublayer, prepared when first needed. */
    private final Segment[] bare;
    private final boolean[] barePrepared;
    private Segment head;
    /** The gates' input names: a segment drops those it does not read. */
    private final Set<String> gates;

    /** A prepared segment, the graph inputs it takes, and the values it computes. */
    private record Segment(Evaluator.Prepared prepared, List<String> inputs, List<String> outputs) {
        Map<String, Tensor> run(Map<String, Tensor> available) {
            Map<String, Tensor> feed = new HashMap<>();
            for (String name : inputs) feed.put(name, available.get(name));
            return prepared.run(feed, outputs);
        }
    }

    Segments(GatedModel gated, Evaluator evaluator, String output) {
        this.gated = gated;
        this.evaluator = evaluator;
        this.residuals = gated.residuals();
        this.output = output;
        this.gates = Set.copyOf(gated.gates());
        int n = residuals.size();
        this.kept = new Segment[n];
        this.bare = new Segment[n];
        this.barePrepared = new boolean[n];
        Segment last = null;
        try {
            for (int k = 0; k < n; k++) {
                Residual r = residuals.get(k);
                List<String> values = new ArrayList<>(List.of(r.stream(), r.sum()));
                // The last one computes the output too, sparing most sets a run of the head.
                if (k == n - 1 && !output.equals(r.sum())) values.add(output);
                kept[k] = prepare(k, values, k);
            }
            if (!output.equals(residuals.get(n - 1).sum())) last = prepare(n, List.of(output), -1);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        head = last;
    }

    /** The name of the value segment {@code k} is fed ({@code sum_{k-1}}), null for the first. */
    private String fed(int k) {
        return k == 0 ? null : residuals.get(k - 1).sum();
    }

    /**
     * Runs segments {@code from} to the head with the candidates {@code removed[k]} removed. {@code feed} holds
     * the graph inputs and gates, and, for {@code from > 0}, the value of {@code sum_{from-1}} under its name.
     * Returns the scored output and the stream input and sum of every candidate from {@code from} on.
     */
    Map<String, Tensor> run(int from, boolean[] removed, Map<String, Tensor> feed) {
        Map<String, Tensor> out = new HashMap<>();
        Map<String, Tensor> in = new HashMap<>(feed);
        for (int k = from; k < residuals.size(); k++) {
            Map<String, Tensor> r = run(k, removed[k], in);
            if (k > 0) in.remove(fed(k));
            in.put(residuals.get(k).sum(), r.get(residuals.get(k).sum()));
            out.putAll(r);
        }
        if (!out.containsKey(output)) out.putAll(run(residuals.size(), false, in));
        return out;
    }

    /**
     * Runs one segment, fed {@code in} (the graph inputs, gates and {@code sum_{k-1}}): for {@code k < size()}
     * candidate {@code k}'s stream input and sum, with or without the candidate (the last segment with its
     * sublayer also gives the output); for {@code k == size()}, the head, the scored output.
     */
    Map<String, Tensor> run(int k, boolean without, Map<String, Tensor> in) {
        if (k == residuals.size()) return Map.of(output, head == null ? in.get(output) : head.run(in).get(output));
        Residual r = residuals.get(k);
        Segment s = without ? bareForm(k) : kept[k];
        Map<String, Tensor> out = new HashMap<>(s == null ? Map.of() : s.run(in));
        // A stream input that is fed (a pre-norm block's sum before it, a graph input) is not recomputed.
        out.putIfAbsent(r.stream(), in.get(r.stream()));
        if (without) out.put(r.sum(), out.get(r.stream()));
        return out;
    }

    private Segment bareForm(int k) {
        if (!barePrepared[k]) {
            String stream = residuals.get(k).stream();
            boolean input = stream.equals(fed(k))
                    || gated.model().graph().inputs().stream().anyMatch(v -> v.name().equals(stream));
            bare[k] = input ? null : prepare(k, List.of(stream), -1);
            barePrepared[k] = true;
        }
        return bare[k];
    }

    /** Segment {@code k} (fed {@code sum_{k-1}}) computing {@code values}, with candidate {@code ungate} ungated. */
    private Segment prepare(int k, List<String> values, int ungate) {
        Model m = ModelCopy.of(gated.model());
        Graph g = m.graph();
        Map<String, Value> byName = Residual.values(g);
        String cut = fed(k);
        if (cut != null) {
            Value sum = byName.get(cut);
            sum.setName(cut + "__cut");
            Value input = g.addInput(new Value(cut, new Type.Tensor(elementType(sum), null)));
            sum.replaceAllUsesWith(input);
            byName.put(cut, input);
        }
        if (ungate >= 0) {
            Residual r = residuals.get(ungate);
            Node add = r.add(byName);
            Node mul = add.input(r.branch()).producer();
            add.setInput(r.branch(), mul.input(0));
        }
        while (!g.outputs().isEmpty()) g.removeOutput(g.outputs().size() - 1);
        List<String> computed = new ArrayList<>();
        for (String name : values) {
            Value v = byName.get(name);
            if (v == null) throw new IllegalStateException("no value '" + name + "' to cut the model at");
            if (v.isGraphInput()) continue; // fed, not computed
            g.addOutput(v);
            computed.add(name);
        }
        new DeadCodeElimination().run(m, PassContext.basic());
        for (Value in : List.copyOf(g.inputs()))
            if (gates.contains(in.name()) && !in.hasUses()) g.removeInput(in);
        List<String> inputs = g.inputs().stream().map(Value::name).toList();
        return new Segment(evaluator.prepare(m, computed), inputs, computed);
    }

    /** The sum's element type, from its type or else its add's inputs (float when nothing says). */
    private static DataType elementType(Value sum) {
        if (sum.type() instanceof Type.Tensor t && t.elementType() != null) return t.elementType();
        for (Value in : sum.producer().inputs())
            if (in != null && in.type() instanceof Type.Tensor t && t.elementType() != null) return t.elementType();
        return DataType.FLOAT;
    }

    @Override
    public void close() {
        List<Segment> all = new ArrayList<>();
        for (Segment s : kept) if (s != null) all.add(s);
        for (Segment s : bare) if (s != null) all.add(s);
        if (head != null) all.add(head);
        for (Segment s : all) s.prepared.close();
    }
}
