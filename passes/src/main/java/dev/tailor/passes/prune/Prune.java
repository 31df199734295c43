package dev.tailor.passes.prune;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.AnatomyException;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Norm;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerPattern;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
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
import dev.tailor.passes.cleanup.DeadCodeElimination;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

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

    @Option(doc = "parameters to keep instead of a sublayer count: a share of the model's (0 < params <= 1) or a "
            + "number (> 1); finercut removes sublayers until the model fits (0: off, count or ratio decide)", min = 0)
    double params = 0;

    @Option(doc = "after the selection: none, or swap (exchange a removed sublayer for a kept one while the "
            + "calibration score improves)")
    Refine refine = Refine.NONE;

    @Option(doc = "scores refine=swap may spend at most", min = 1)
    int swapBudget = 100;

    @Option(doc = "how candidates are run: cached (the streams before the first change are cached, only the rest of "
            + "the model runs), gated (the whole gated model per set, FinerCut's design) or rebuild (a pruned model "
            + "and session per set); all choose the same sublayers")
    Evaluation evaluation = Evaluation.CACHED;

    @Option(doc = "stop scoring a candidate once its partial score (over the calibration batches run so far) "
            + "cannot beat the best of its step, trying last step's best first; the same selection (needs several "
            + "batches; off by default: on MiniLM it saved nothing)")
    boolean bound = false;

    /** What follows the selection. */
    public enum Refine {
        NONE, SWAP
    }

    /** How sets of removals are run (see {@link ModelScorer}). */
    public enum Evaluation {
        CACHED, GATED, REBUILD
    }

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
        List<Sublayer> eligible = eligible(anatomy, pool);
        long paramsBefore = parameters(g);
        Selector.Goal goal = goal(pool, eligible, paramsBefore);
        PassResult result = PassResult.changed(false).metric("method", method.name().toLowerCase())
                .metric("candidates", eligible.size());
        result.metric(goal.byCount() ? "target" : "target_parameters_removed",
                goal.byCount() ? goal.count() : goal.parameters());
        if (goal.byCount() && goal.count() == 0) {
            return result.metric("removed", List.of()).metric("parameters_before", paramsBefore)
                    .metric("parameters_after", paramsBefore).metric("evaluations", 0);
        }
        List<Residual> residuals = new ArrayList<>();
        for (Sublayer s : eligible) residuals.add(Residual.of(s));
        String scored = output.isEmpty() ? g.outputs().get(0).name() : output;
        if (g.outputs().stream().noneMatch(v -> v.name().equals(scored)))
            throw new PassException("prune", "output: the model has no graph output '" + scored + "'; it has "
                    + g.outputs().stream().map(v -> v.name()).toList());

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

        // The reference run provides the stream values that shortgpt's influence and the cache start from.
        String[][] streams = new String[eligible.size()][];
        for (int i = 0; i < eligible.size(); i++)
            streams[i] = new String[] {eligible.get(i).streamIn().name(), eligible.get(i).streamOut().name()};
        List<String> outputs = new ArrayList<>(List.of(scored));
        if (method == Method.SHORTGPT) for (String[] s : streams) outputs.addAll(List.of(s));

        long[] sizes = new long[eligible.size()];
        for (int i = 0; i < sizes.length; i++) sizes[i] = removableParameters(eligible.get(i));
        GatedModel gated = new GatedModel(model, residuals);
        Selector selector;
        Selector.Refinement refinement = null;
        int evaluations;
        Scoring.Metric used;
        // The cached design runs everything, the reference included, through the segments (which give every
        // stream value); the others, and shortgpt's influence, prepare the whole gated model once.
        Segments segments = null;
        Evaluator.Prepared full = null;
        try {
            Function<Map<String, Tensor>, Map<String, Tensor>> run;
            if (evaluation == Evaluation.CACHED) segments = new Segments(gated, evaluator, scored);
            if (evaluation != Evaluation.CACHED || method == Method.SHORTGPT) {
                if (segments != null) outputs.addAll(CachedScorer.streamValues(residuals));
                run = (full = evaluator.prepare(gated.model(), outputs))::run;
            } else {
                Segments s = segments;
                boolean[] none = new boolean[residuals.size()];
                run = feed -> s.run(0, none, feed);
            }
            Reference reference = new Reference(gated, run, data, scored, metric);
            used = reference.metric();
            try (Scorer scorer = switch (evaluation) {
                case CACHED -> new CachedScorer(reference, gated, segments);
                case GATED -> new GatedScorer(reference, gated, full);
                case REBUILD -> new RebuildScorer(reference, model, residuals, evaluator);
            }) {
                List<String> ids = eligible.stream().map(Sublayer::id).toList();
                selector = new Selector(scorer, ids, sizes, goal, context.progress(), bound);
                switch (method) {
                    case FINERCUT -> selector.greedySublayers();
                    case BLOCK -> selector.greedyBlocks(blockGroups(anatomy, eligible, pool));
                    case SHORTGPT -> selector.shortgpt(blockGroups(anatomy, eligible, pool), reference, streams);
                    case REVERSE -> selector.reverse(beforeFinalBlock(anatomy, eligible));
                }
                if (refine == Refine.SWAP) refinement = selector.swap(swapBudget);
                evaluations = scorer.evaluations();
            }
        } finally {
            if (segments != null) segments.close();
            if (full != null) full.close();
        }

        // Apply: each removed residual add passes its stream through; dce takes the branches.
        List<String> order = selector.removedIds();
        Map<String, Value> values = Residual.values(g);
        for (String id : order) residuals.get(indexOf(eligible, id)).bypass(g, values);
        new DeadCodeElimination().run(model, context);
        long paramsAfter = parameters(g);

        result.modified(true).metric("metric", used.name().toLowerCase()).metric("evaluation",
                        evaluation.name().toLowerCase()).metric("calibration", dataDescription)
                .metric("calibration_batches", data.size()).metric("output", scored).metric("removed", order)
                .metric("scores", selector.scores()).metric("block_map", blockMap(anatomy, order))
                .metric("parameters_before", paramsBefore).metric("parameters_after", paramsAfter)
                .metric("evaluations", evaluations);
        if (refinement != null)
            result.metric("refine_score_before", refinement.before()).metric("refine_score_after", refinement.after())
                    .metric("refine_swaps", refinement.swaps()).metric("refine_evaluations", refinement.evaluations());
        return result;
    }

    /** The pool less the first {@code warmup} share of blocks and whatever {@code keep} names. */
    private List<Sublayer> eligible(Anatomy anatomy, List<Sublayer> pool) {
        List<SublayerPattern> kept = new ArrayList<>();
        for (String k : keep) {
            try {
                kept.add(SublayerPattern.parse(k));
            } catch (IllegalArgumentException e) {
                throw new PassException("prune", "keep: " + e.getMessage());
            }
        }
        int warm = (int) Math.floor(warmup * anatomy.blocks().size());
        List<Sublayer> eligible = new ArrayList<>();
        for (Sublayer s : pool) {
            if (s.block().index() < warm) continue;
            if (kept.stream().anyMatch(p -> p.matches(s.id()) || p.matches(s.block().id()))) continue;
            eligible.add(s);
        }
        return eligible;
    }

    /** The count to remove, or with {@code params} the parameters to take out; checked against what is possible. */
    private Selector.Goal goal(List<Sublayer> pool, List<Sublayer> eligible, long paramsBefore) {
        String why = eligible.size() + " are candidates (" + pool.size() + " of the kinds only=" + only.name()
                .toLowerCase() + " selects, less keep and warmup)";
        if (params > 0) {
            if (count >= 0)
                throw new PassException("prune", "give either count or params, not both (count=" + count + ", params="
                        + params + ")");
            if (method != Method.FINERCUT)
                throw new PassException("prune", "params works with method=finercut; use count or ratio with method="
                        + method.name().toLowerCase());
            long budget = params <= 1 ? (long) Math.floor(params * paramsBefore) : (long) params;
            long needed = Math.max(0, paramsBefore - budget);
            long removable = 0;
            for (Sublayer s : eligible) removable += removableParameters(s);
            if (needed > removable)
                throw new PassException("prune", String.format(java.util.Locale.ROOT, "cannot reach params=%s: the "
                        + "model has %,d parameters and removing all %d candidate sublayers takes out only %,d, so at "
                        + "least %,d remain; raise params or loosen keep/only/warmup", fmt(params), paramsBefore,
                        eligible.size(), removable, paramsBefore - removable));
            return Selector.Goal.parameters(needed);
        }
        int target = count >= 0 ? count : (int) Math.round(ratio * pool.size());
        if (target > eligible.size())
            throw new PassException("prune", "cannot remove " + target + " sublayers: only " + why
                    + "; lower count or ratio");
        return Selector.Goal.count(target);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static int indexOf(List<Sublayer> eligible, String id) {
        for (int i = 0; i < eligible.size(); i++) if (eligible.get(i).id().equals(id)) return i;
        throw new IllegalStateException(id + " is not a candidate");
    }

    private static boolean[] beforeFinalBlock(Anatomy anatomy, List<Sublayer> eligible) {
        int lastBlock = anatomy.blocks().get(anatomy.blocks().size() - 1).index();
        boolean[] before = new boolean[eligible.size()];
        for (int i = 0; i < before.length; i++) before[i] = eligible.get(i).block().index() < lastBlock;
        return before;
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
}
