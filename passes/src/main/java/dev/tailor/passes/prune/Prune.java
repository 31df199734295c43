package dev.tailor.passes.prune;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.AnatomyException;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Norm;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerKind;
import dev.tailor.compiler.anatomy.SublayerPattern;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.CalibrationData;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.compiler.pass.Option;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.Progress;
import dev.tailor.passes.cleanup.DeadCodeElimination;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Sublayer pruning after FinerCut (Zhang et al., 2024): every attention and FFN sublayer is a candidate, and
 * removing one makes its residual add pass the stream through unchanged (in a post-LN model the norm after the
 * add stays); the branch's nodes and weights then go with dead-code elimination.
 *
 * <p>Scoring prepares the model once with every candidate's branch multiplied by a gate fed as a graph input, so
 * each set of removals is one run per calibration batch; the reference outputs are computed once. Methods:
 * {@code finercut} (greedy, one sublayer per step, each step scoring every remaining candidate with the earlier
 * removals applied), {@code block} (greedy over whole blocks), {@code shortgpt} (blocks by block influence
 * 1 − cos(block input, block output), one shot) and {@code reverse} (the last blocks but the final one). For every
 * method {@code count} and {@code ratio} count sublayers; when whole blocks cannot make the count exactly, the rest
 * is made of single sublayers chosen the method's way (greedy score for {@code block}, sublayer influence for
 * {@code shortgpt}).
 *
 * <p>Calibration data comes from the context; without it the pass scores on synthetic inputs (built from the
 * input types: masks of ones, ids below their embedding table's size, normal floats) and says so in its notes.
 */
@PassDef(name = "prune", summary = "remove the attention/FFN sublayers whose removal changes the output least (FinerCut)")
public final class Prune implements Pass {

    /** How removals are chosen. */
    public enum Method {
        FINERCUT, BLOCK, SHORTGPT, REVERSE
    }

    /** Which sublayers are candidates. */
    public enum Only {
        ANY, ATTN, FFN
    }

    @Option(doc = "finercut (greedy sublayers), block (greedy whole blocks), shortgpt (block influence, one shot) "
            + "or reverse (last blocks but the final one)")
    Method method = Method.FINERCUT;

    @Option(doc = "sublayers to remove (-1: use ratio)", min = -1)
    int count = -1;

    @Option(doc = "share of the candidate sublayers (of the kinds selected by only) to remove", min = 0, max = 1)
    double ratio = 0.25;

    @Option(doc = "distance to the original's output: auto (js for logits, angular otherwise), js, kl, cosine, "
            + "angular or mse")
    Scoring.Metric metric = Scoring.Metric.AUTO;

    @Option(doc = "sublayers never removed, by id or pattern (b0.attn, *.ffn)", element = String.class)
    List<String> keep = List.of();

    @Option(doc = "candidate sublayers: any, attn (self- and cross-attention) or ffn")
    Only only = Only.ANY;

    @Option(doc = "share of the first blocks never removed (FinerCut's warm-up), rounded down", min = 0, max = 1)
    double warmup = 0;

    @Option(doc = "graph output to score (empty: the first)")
    String output = "";

    @Option(doc = "calibration batches used at most (0: all)", min = 0)
    int batches = 0;

    @Override
    public PassResult run(Model model, PassContext context) {
        Graph g = model.graph();
        Anatomy anatomy;
        try {
            anatomy = Anatomy.of(model).requireBlocks();
        } catch (AnatomyException e) {
            throw new PassException("prune", e.getMessage());
        }
        // Candidates of the selected kinds; ratio counts these.
        List<Sublayer> pool = new ArrayList<>();
        for (Sublayer s : anatomy.sublayers()) {
            boolean attn = s.kind().isAttention();
            if (only == Only.ANY || (only == Only.ATTN) == attn) pool.add(s);
        }
        int target = count >= 0 ? count : (int) Math.round(ratio * pool.size());
        List<SublayerPattern> kept = new ArrayList<>();
        for (String k : keep) {
            try {
                kept.add(SublayerPattern.parse(k));
            } catch (IllegalArgumentException e) {
                throw new PassException("prune", e.getMessage());
            }
        }
        int warm = (int) Math.floor(warmup * anatomy.blocks().size());
        List<Sublayer> eligible = new ArrayList<>();
        for (Sublayer s : pool) {
            if (s.block().index() < warm) continue;
            if (kept.stream().anyMatch(p -> p.matches(s.id()) || p.matches(s.block().id()))) continue;
            eligible.add(s);
        }
        PassResult result = PassResult.changed(false).metric("method", method.name().toLowerCase())
                .metric("candidates", eligible.size()).metric("target", target);
        if (target > eligible.size())
            throw new PassException("prune", "cannot remove " + target + " sublayers: only " + eligible.size()
                    + " are candidates (" + pool.size() + " of the selected kinds, less keep and warmup)");
        long paramsBefore = parameters(g);
        if (target == 0) {
            return result.metric("removed", List.of()).metric("parameters_before", paramsBefore)
                    .metric("parameters_after", paramsBefore).metric("evaluations", 0);
        }
        for (Sublayer s : eligible) {
            try {
                GatedModel.branchIndex(s);
            } catch (RuntimeException e) {
                throw new PassException("prune", e.getMessage());
            }
        }

        Evaluator evaluator = context.requireEvaluator("prune");
        List<Map<String, Tensor>> data;
        CalibrationData cal = context.calibration();
        String dataDescription;
        if (cal != null && !cal.batches().isEmpty()) {
            data = cal.batches();
            dataDescription = cal.description();
        } else {
            data = SyntheticInputs.make(g, 4, 2, 16, 0);
            dataDescription = "synthetic";
            result.note("no calibration data: scored on synthetic inputs (4 batches of 2 x 16; masks of ones, ids "
                    + "below their table size, normal floats); give calibration data for a meaningful selection");
        }
        if (batches > 0 && data.size() > batches) data = data.subList(0, batches);
        String scored = output.isEmpty() ? g.outputs().get(0).name() : output;
        if (g.outputs().stream().noneMatch(v -> v.name().equals(scored)))
            throw new PassException("prune", "no graph output '" + scored + "'");

        List<String> extra = new ArrayList<>();
        if (method == Method.SHORTGPT)
            for (Sublayer s : eligible) {
                extra.add(s.streamIn().name());
                extra.add(s.streamOut().name());
            }

        Progress progress = context.progress();
        boolean[] removed = new boolean[eligible.size()];
        List<Double> scores = new ArrayList<>();
        List<String> order = new ArrayList<>();
        Scoring.Metric used;
        int evaluations;
        try (GatedModel gm = new GatedModel(model, eligible, evaluator, data, scored, extra)) {
            used = Scoring.resolve(metric, gm.kind());
            Selector sel = new Selector(gm, used, removed, scores, order, progress, target);
            switch (method) {
                case FINERCUT -> sel.greedySublayers(target);
                case BLOCK -> sel.greedyBlocks(blockGroups(anatomy, eligible, pool));
                case SHORTGPT -> sel.shortgpt(blockGroups(anatomy, eligible, pool));
                case REVERSE -> sel.reverse(anatomy);
            }
            evaluations = gm.evaluations();
        }

        // Apply: each removed residual add passes its stream through.
        List<Sublayer> gone = new ArrayList<>();
        for (String id : order) gone.add(anatomy.sublayer(id));
        for (Sublayer s : gone) bypass(g, s);
        new DeadCodeElimination().run(model, context);
        long paramsAfter = parameters(g);

        return result.modified(true).metric("metric", used.name().toLowerCase()).metric("calibration", dataDescription)
                .metric("calibration_batches", data.size()).metric("output", scored).metric("removed", order)
                .metric("scores", scores).metric("block_map", blockMap(anatomy, order))
                .metric("parameters_before", paramsBefore).metric("parameters_after", paramsAfter)
                .metric("evaluations", evaluations);
    }

    /** Each block's candidates (indices into eligible) when all its sublayers of the selected kinds are candidates. */
    private static List<int[]> blockGroups(Anatomy anatomy, List<Sublayer> eligible, List<Sublayer> pool) {
        List<int[]> out = new ArrayList<>();
        for (Block b : anatomy.blocks()) {
            List<Integer> idx = new ArrayList<>();
            boolean whole = true;
            for (Sublayer s : b.sublayers()) {
                if (!pool.contains(s)) continue;
                int i = eligible.indexOf(s);
                if (i < 0) whole = false;
                else idx.add(i);
            }
            if (whole && !idx.isEmpty()) out.add(idx.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    /** Makes the residual add of {@code s} pass its current stream input through. */
    static void bypass(Graph g, Sublayer s) {
        Node add = s.residual();
        int bi = GatedModel.branchIndex(s);
        Value stream = add.input(1 - bi);
        Value out = add.output(0);
        if (out.isGraphOutput()) {
            String name = out.name();
            out.setName(name + "__pruned");
            Node id = new Node("Identity", List.of(stream), name);
            id.output(0).setType(out.type());
            g.insertBefore(add, id);
            out.replaceAllUsesWith(id.output(0));
        } else {
            out.replaceAllUsesWith(stream);
        }
        g.remove(add);
    }

    static long parameters(Graph g) {
        long n = 0;
        for (Value v : g.initializers()) if (v.initializer() != null) n += v.initializer().elementCount();
        return n;
    }

    /** {@code b0[attn ffn] b1[- ffn] ...}: each block's sublayers, removed ones as {@code -}. */
    static String blockMap(Anatomy anatomy, List<String> removed) {
        StringBuilder b = new StringBuilder();
        for (Block k : anatomy.blocks()) {
            if (b.length() > 0) b.append(' ');
            b.append(k.id()).append('[');
            for (int i = 0; i < k.sublayers().size(); i++) {
                Sublayer s = k.sublayers().get(i);
                if (i > 0) b.append(' ');
                b.append(removed.contains(s.id()) ? "-" : s.kind().id());
            }
            b.append(']');
        }
        return b.toString();
    }

    /** The expected drop in parameters when {@code s} goes: its weights, and its norm unless post-LN (which stays). */
    public static long removableParameters(Sublayer s) {
        long n = s.parameterCount();
        Norm norm = s.norm();
        if (norm != null && norm.placement() == Norm.Placement.POST) n -= norm.parameterCount();
        return n;
    }

    /** The selection strategies, over the gated model. */
    private static final class Selector {
        private final GatedModel gm;
        private final Scoring.Metric metric;
        private final boolean[] removed;
        private final List<Double> scores;
        private final List<String> order;
        private final Progress progress;
        private final int target;
        private int done;

        Selector(GatedModel gm, Scoring.Metric metric, boolean[] removed, List<Double> scores, List<String> order,
                 Progress progress, int target) {
            this.gm = gm;
            this.metric = metric;
            this.removed = removed;
            this.scores = scores;
            this.order = order;
            this.progress = progress;
            this.target = target;
        }

        private void remove(int i) {
            removed[i] = true;
            order.add(gm.candidates().get(i).id());
            done++;
        }

        private double scoreWith(int[] extra) {
            for (int i : extra) removed[i] = true;
            try {
                return gm.score(removed, metric);
            } finally {
                for (int i : extra) removed[i] = false;
            }
        }

        /** FinerCut: per step, score every remaining candidate with earlier removals applied; remove the best. */
        void greedySublayers(int steps) {
            for (int step = 0; step < steps; step++) {
                int remaining = 0;
                for (boolean r : removed) if (!r) remaining++;
                progress.begin("prune step " + (done + 1) + "/" + target + ": scoring candidates", remaining);
                int best = -1;
                double bestScore = Double.POSITIVE_INFINITY;
                int k = 0;
                for (int i = 0; i < removed.length; i++) {
                    if (removed[i]) continue;
                    double s = scoreWith(new int[] {i});
                    if (s < bestScore) {
                        bestScore = s;
                        best = i;
                    }
                    progress.update(++k);
                }
                progress.end();
                remove(best);
                scores.add(bestScore);
            }
        }

        /** Greedy over whole blocks while one fits the count; the rest as single sublayers, greedy. */
        void greedyBlocks(List<int[]> groups) {
            List<int[]> left = new ArrayList<>(groups);
            while (true) {
                int room = target - done;
                List<int[]> fit = left.stream().filter(gr -> gr.length <= room).toList();
                if (fit.isEmpty()) break;
                progress.begin("prune step " + (done + 1) + "/" + target + ": scoring blocks", fit.size());
                int[] best = null;
                double bestScore = Double.POSITIVE_INFINITY;
                int k = 0;
                for (int[] gr : fit) {
                    double s = scoreWith(gr);
                    if (s < bestScore) {
                        bestScore = s;
                        best = gr;
                    }
                    progress.update(++k);
                }
                progress.end();
                for (int i : best) remove(i);
                for (int i = 0; i < best.length; i++) scores.add(bestScore);
                left.remove(best);
            }
            greedySublayers(target - done);
        }

        /** ShortGPT: blocks by influence 1 − cos(input, output), lowest first; the rest by sublayer influence. */
        void shortgpt(List<int[]> groups) {
            List<Sublayer> c = gm.candidates();
            double[] blockInfluence = new double[groups.size()];
            for (int gi = 0; gi < groups.size(); gi++) {
                int[] gr = groups.get(gi);
                Sublayer first = c.get(gr[0]);
                Sublayer last = c.get(gr[gr.length - 1]);
                blockInfluence[gi] = influence(first.streamIn().name(), last.streamOut().name());
            }
            Integer[] byBlock = new Integer[groups.size()];
            for (int i = 0; i < byBlock.length; i++) byBlock[i] = i;
            Arrays.sort(byBlock, Comparator.comparingDouble(i -> blockInfluence[i]));
            for (int gi : byBlock) {
                int[] gr = groups.get(gi);
                if (gr.length > target - done) continue;
                for (int i : gr) oneShot(i);
            }
            double[] sub = new double[c.size()];
            for (int i = 0; i < c.size(); i++) sub[i] = influence(c.get(i).streamIn().name(), c.get(i).streamOut().name());
            Integer[] bySub = new Integer[c.size()];
            for (int i = 0; i < bySub.length; i++) bySub[i] = i;
            Arrays.sort(bySub, Comparator.comparingDouble(i -> sub[i]));
            for (int i : bySub) if (done < target && !removed[i]) oneShot(i);
        }

        /** Reverse order: the last blocks but the final one, last sublayer first. */
        void reverse(Anatomy anatomy) {
            List<Sublayer> c = gm.candidates();
            int lastBlock = anatomy.blocks().get(anatomy.blocks().size() - 1).index();
            List<Integer> idx = new ArrayList<>();
            for (int i = c.size() - 1; i >= 0; i--) if (c.get(i).block().index() < lastBlock) idx.add(i);
            for (int i : idx) if (done < target) oneShot(i);
            if (done < target)
                throw new PassException("prune", "reverse: only " + done + " candidates lie before the final block");
        }

        private void oneShot(int i) {
            remove(i);
            scores.add(gm.score(removed, metric));
        }

        /** Mean 1 − cos between two stream values over the calibration tokens (reference run). */
        private double influence(String in, String out) {
            double sum = 0;
            long n = 0;
            for (int b = 0; b < gm.batchCount(); b++) {
                Map<String, Tensor> r = gm.reference(b);
                Scoring.Sum s = Scoring.distance(Scoring.Metric.COSINE, r.get(in), r.get(out),
                        gm.batch(b).get("attention_mask"));
                sum += s.total();
                n += s.count();
            }
            return n == 0 ? 0 : sum / n;
        }
    }
}
