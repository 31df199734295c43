package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.ModelCopy;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.passes.cleanup.DeadCodeElimination;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tailor's design: the sublayers before the first one a set changes compute exactly what they compute in the
 * current selection, so their result is cached and only the rest of the model runs.
 *
 * <p>For every candidate {@code k} in stream order it caches, per calibration batch, the current model's residual
 * stream at the add ({@code stream_k}, the add's stream input, and {@code sum_k}, its output). The suffix after
 * {@code k} is a copy of the gated model cut at {@code sum_k} (a graph input there, the nodes before it gone),
 * prepared once on first use and reused for every set and step: its later branches stay gated. A set whose first
 * change from the current selection is removing {@code m} runs the suffix after {@code m} fed {@code stream_m};
 * one whose first change restores {@code m} runs the suffix after the candidate before {@code m} fed its cached
 * {@code sum}, or the whole gated model when {@code m} is the first. Committing a new selection reruns that one
 * suffix with the later stream values as outputs to refresh the cache.
 */
final class CachedScorer extends ModelScorer {
    private final GatedModel gated;
    private final Evaluator evaluator;
    private final Evaluator.Prepared full;
    private final List<Residual> residuals;
    private final Evaluator.Prepared[] suffixes;
    /** Per batch: the current selection's stream values by name (stream_k and sum_k of every candidate). */
    private final List<Map<String, Tensor>> cache = new ArrayList<>();
    private final boolean[] current;

    CachedScorer(Reference reference, GatedModel gated, Evaluator.Prepared full, Evaluator evaluator) {
        super(reference);
        this.gated = gated;
        this.full = full;
        this.evaluator = evaluator;
        this.residuals = gated.residuals();
        this.suffixes = new Evaluator.Prepared[residuals.size()];
        this.current = new boolean[residuals.size()];
        for (int b = 0; b < reference.batchCount(); b++) {
            Map<String, Tensor> m = new HashMap<>();
            for (String name : streamValues(0)) m.put(name, reference.value(b, name));
            cache.add(m);
        }
    }

    /** The stream values of candidates {@code from} and later, which the reference run must provide. */
    static List<String> streamValues(List<Residual> residuals, int from) {
        List<String> names = new ArrayList<>();
        for (int i = from; i < residuals.size(); i++) {
            names.add(residuals.get(i).stream());
            names.add(residuals.get(i).sum());
        }
        return names;
    }

    private List<String> streamValues(int from) {
        return streamValues(residuals, from);
    }

    /** Where a set's run starts: the candidate whose sum is fed (-1: the whole model), and the value fed. */
    private record Start(int cut, String fed) {}

    private Start start(boolean[] removed) {
        int m = 0;
        while (m < removed.length && removed[m] == current[m]) m++;
        if (m == removed.length) // the current selection itself: the last suffix, fed its current sum
            return new Start(m - 1, residuals.get(m - 1).sum());
        if (removed[m]) return new Start(m, residuals.get(m).stream());
        if (m == 0) return new Start(-1, null);
        return new Start(m - 1, residuals.get(m - 1).sum());
    }

    @Override
    protected Tensor run(int batch, boolean[] removed) {
        return run(batch, removed, start(removed), List.of(reference.output())).get(reference.output());
    }

    private Map<String, Tensor> run(int batch, boolean[] removed, Start s, List<String> outputs) {
        Map<String, Tensor> feed = gated.feed(reference.batch(batch), removed);
        if (s.cut < 0) return full.run(feed, outputs);
        feed.put(residuals.get(s.cut).sum(), cache.get(batch).get(s.fed));
        return suffix(s.cut).run(feed, outputs);
    }

    @Override
    void commit(boolean[] removed) {
        Start s = start(removed);
        List<String> later = streamValues(s.cut + 1);
        for (int b = 0; b < reference.batchCount(); b++) {
            Map<String, Tensor> c = cache.get(b);
            if (s.cut >= 0) c.put(residuals.get(s.cut).sum(), c.get(s.fed));
            if (!later.isEmpty()) c.putAll(run(b, removed, s, later));
        }
        System.arraycopy(removed, 0, current, 0, removed.length);
    }

    /** The gated model after candidate {@code k}'s add, fed the sum there; prepared once. */
    private Evaluator.Prepared suffix(int k) {
        if (suffixes[k] != null) return suffixes[k];
        Model m = ModelCopy.of(gated.model());
        Graph g = m.graph();
        String name = residuals.get(k).sum();
        Value sum = Residual.values(g).get(name);
        Tensor example = cache.get(0).get(name);
        sum.setName(name + "__cut");
        Shape unknown = Shape.of(new Object[example.rank()]);
        Value input = g.addInput(new Value(name, new Type.Tensor(example.dataType(), unknown)));
        sum.replaceAllUsesWith(input);
        new DeadCodeElimination().run(m, PassContext.basic());
        List<String> outputs = new ArrayList<>(List.of(reference.output()));
        outputs.addAll(streamValues(k + 1));
        suffixes[k] = evaluator.prepare(m, outputs);
        return suffixes[k];
    }

    @Override
    public void close() {
        for (Evaluator.Prepared p : suffixes) if (p != null) p.close();
    }
}
