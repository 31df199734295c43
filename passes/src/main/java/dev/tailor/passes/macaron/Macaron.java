package dev.tailor.passes.macaron;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.AnatomyException;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Norm;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerKind;
import dev.tailor.compiler.anatomy.SublayerPattern;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.CalibrationData;
import dev.tailor.compiler.pass.Option;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.passes.cleanup.DeadCodeElimination;
import dev.tailor.passes.prune.SyntheticInputs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Macaron layout (Lu et al., 2019, arXiv 1906.02762): each selected block becomes FFN½ → attention → FFN½, a
 * Strang–Marchuk splitting of the block read as one step of an ODE. The front half-step is a copy of an FFN branch
 * placed on the stream before the attention (pre-LN: with its own copy of the FFN's norm; post-LN: see the modes);
 * the ½ of each half-step is folded into its down projection, so no Mul appears.
 *
 * <ul>
 *   <li>{@code exact}: the front half-FFN is the block's FFN with its down projection (and bias) zero, the back FFN
 *       is the original (a half-step of twice the FFN); in a post-LN model the front carries no norm, so the model
 *       computes exactly what it did. The start for fine-tuning in the Macaron layout.</li>
 *   <li>{@code split}: the {@code fraction} of each FFN's hidden neurons with the least calibration energy moves
 *       to the front half-FFN of the next block, where it reads the stream one residual add later; the first block
 *       of a stream gets an exact (zero) front. The output changes; the pass measures by how much.</li>
 *   <li>{@code duplicate}: the paper's layout: both halves are the block's FFN with down (and bias) times ½,
 *       sharing or copying their weights; in a post-LN model the front half gets a copy of the FFN's post-norm. The
 *       function changes; measured.</li>
 * </ul>
 * With an evaluator and data in the context, the pass reports the change of the first output on them.
 */
@PassDef(name = "macaron", summary = "rewrite blocks to the Macaron layout FFN½ -> attention -> FFN½ (exact, split "
        + "or duplicate)")
public final class Macaron implements Pass {
    static final String PASS = "macaron";

    /** How the two half-FFNs are initialised. */
    public enum Mode {
        EXACT, SPLIT, DUPLICATE
    }

    /** Whether duplicate's halves share their tensors. */
    public enum Weights {
        SHARED, COPIED
    }

    @Option(doc = "exact (zero front half, function kept), split (move low-energy neurons to the next block's front) "
            + "or duplicate (both halves the FFN times 1/2)")
    Mode mode = Mode.EXACT;

    @Option(doc = "blocks to rewrite, by id or pattern (b0, b1*); empty: all", element = String.class)
    List<String> blocks = List.of();

    @Option(doc = "split: share of each FFN's hidden neurons moved to the next block's front half", min = 0, max = 1)
    double fraction = 0.25;

    @Option(doc = "duplicate: the halves share their tensors (shared) or get their own (copied, to fine-tune apart)")
    Weights weights = Weights.COPIED;

    @Option(doc = "calibration batches used at most for neuron energies and the measured change (0: all)", min = 0)
    int batches = 4;

    @Override
    public PassResult run(Model model, PassContext context) {
        Anatomy anatomy;
        try {
            anatomy = Anatomy.of(model).requireBlocks();
        } catch (AnatomyException e) {
            throw new PassException(PASS, e.getMessage());
        }
        List<Block> selected = select(anatomy);
        Graph g = model.graph();
        long before = parameters(g);
        PassResult result = PassResult.changed(true).metric("mode", mode.name().toLowerCase())
                .metric("blocks", selected.stream().map(Block::id).toList());

        List<Map<String, Tensor>> data = data(model, context, result);
        OutputChange change = data == null ? null : OutputChange.before(model, context.evaluator(), data);

        FreshNames names = FreshNames.of(g);
        FrontHalfStep front = new FrontHalfStep(g, names);
        try {
            switch (mode) {
                case EXACT -> {
                    for (Block b : selected) exactFront(front, g, names, b);
                }
                case DUPLICATE -> {
                    for (Block b : selected) duplicate(front, g, names, b);
                }
                case SPLIT -> split(front, g, names, model, selected, context, data, result);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new PassException(PASS, e.getMessage());
        }
        new DeadCodeElimination().run(model, context);

        result.metric("parameters_before", before).metric("parameters_after", parameters(g))
                .metric("layout", layout(Anatomy.of(model), selected.size()));
        if (change != null) {
            OutputChange.Result r = change.after(model);
            result.metric("max_abs_change", r.maxAbs()).metric("relative_l2_change", r.relativeL2());
        }
        return result;
    }

    // ---- the three modes ----

    /** The block's own FFN in front, down and its bias zero: the function is unchanged. */
    private static void exactFront(FrontHalfStep front, Graph g, FreshNames names, Block b) {
        Sublayer ffn = b.sublayer(SublayerKind.FFN);
        String id = frontId(b);
        Map<Value, Value> subs = FfnParams.of(ffn).derive(g, names, "_" + id, all(ffn), true, 0f, 0f);
        ownPreNorm(subs, g, names, ffn, id);
        front.insert(ffn, b.sublayer(SublayerKind.ATTN), subs, false, id);
    }

    /** Both halves from the block's FFN, down and its bias times ½. */
    private void duplicate(FrontHalfStep front, Graph g, FreshNames names, Block b) {
        Sublayer ffn = b.sublayer(SublayerKind.FFN);
        FfnParams p = FfnParams.of(ffn);
        String id = frontId(b);
        Map<Value, Value> half = p.derive(g, names, "_half", all(ffn), false, 0.5f, 0.5f);
        Map<Value, Value> subs = half;
        if (weights == Weights.COPIED) {
            subs = p.derive(g, names, "_" + id, all(ffn), true, 0.5f, 0.5f);
            if (ffn.norm() != null) subs.putAll(FfnParams.ownNorm(g, names, ffn.norm(), "_" + id));
        }
        front.insert(ffn, b.sublayer(SublayerKind.ATTN), subs, true, id);
        substitute(ffn, half);
    }

    /** Low-energy neurons of each FFN move to the next block's front; a stream's first block gets an exact front. */
    private void split(FrontHalfStep front, Graph g, FreshNames names, Model model, List<Block> selected,
                       PassContext context, List<Map<String, Tensor>> data, PassResult result) {
        Map<Block, FfnParams> sources = new LinkedHashMap<>();
        for (Block b : selected) {
            Block prev = previous(b);
            if (prev == null) continue;
            FfnParams src = FfnParams.of(prev.sublayer(SublayerKind.FFN));
            int k = moved(src);
            if (k < 1 || k >= src.hidden)
                throw new PassException(PASS, "fraction=" + fraction + " moves " + k + " of " + src.ffn.id() + "'s "
                        + src.hidden + " neurons; choose a fraction that moves at least one and keeps at least one");
            if (src.packed())
                throw new PassException(PASS, src.ffn.id() + " packs gate and up into one tensor (" + src.up.matrix()
                        + "); its neurons cannot be split; use mode=exact or mode=duplicate");
            sources.put(b, src);
        }
        if (data == null)
            throw new PassException(PASS, "split ranks neurons by their energy on data, but no evaluator is available; "
                    + "run it from the tailor command or give the pass manager an ONNX Runtime evaluator");
        List<FfnParams> ffns = new ArrayList<>(sources.values());
        List<NeuronEnergy.Stats> stats = NeuronEnergy.measure(model, ffns, context.evaluator(), data);
        List<String> moves = new ArrayList<>();
        List<Double> shares = new ArrayList<>();
        Map<Sublayer, Map<Value, Value>> kept = new IdentityHashMap<>();
        for (Block b : selected) {
            FfnParams src = sources.get(b);
            if (src == null) {
                exactFront(front, g, names, b);
                moves.add(frontId(b) + " <- zero (first block)");
                continue;
            }
            NeuronEnergy.Stats st = stats.get(ffns.indexOf(src));
            double[] e = st.energy();
            int k = moved(src);
            int[][] parts = lowest(e, k);
            String id = frontId(b);
            Map<Value, Value> subs = src.derive(g, names, "_" + id, parts[0], true, 1f, 0f);
            ownPreNorm(subs, g, names, src.ffn, id);
            if (isPost(src.ffn)) src.throughPostNorm(subs, st.inverseSigma());
            front.insert(src.ffn, b.sublayer(SublayerKind.ATTN), subs, false, id);
            kept.put(src.ffn, src.derive(g, names, "_kept", parts[1], true, 1f, 1f));
            double moved = 0, total = 0;
            for (int j = 0; j < e.length; j++) total += e[j];
            for (int j : parts[0]) moved += e[j];
            shares.add(total == 0 ? 0 : moved / total);
            moves.add(id + " <- " + k + " of " + src.hidden + " neurons of " + src.ffn.id());
        }
        // the back FFNs lose the moved neurons only now: the copies above read their original tensors
        for (Map.Entry<Sublayer, Map<Value, Value>> e : kept.entrySet()) {
            substitute(e.getKey(), e.getValue());
            forgetHiddenTypes(e.getKey());
        }
        result.metric("moved", moves).metric("moved_energy_share", shares);
    }

    // ---- helpers ----

    private List<Block> select(Anatomy anatomy) {
        List<Block> out = new ArrayList<>();
        if (blocks.isEmpty()) out.addAll(anatomy.blocks());
        for (String text : blocks) {
            SublayerPattern p;
            try {
                p = SublayerPattern.parse(text);
            } catch (IllegalArgumentException e) {
                throw new PassException(PASS, e.getMessage());
            }
            List<Block> match = anatomy.blocks(p);
            if (match.isEmpty())
                throw new PassException(PASS, "no block matches '" + text + "' (the model has " + anatomy.blocks()
                        .get(0).id() + ".." + anatomy.blocks().get(anatomy.blocks().size() - 1).id() + ")");
            for (Block b : match) if (!out.contains(b)) out.add(b);
        }
        out.sort(Comparator.comparingInt(Block::index));
        for (Block b : out) {
            if (b.front() != null)
                throw new PassException(PASS, b.id() + " already has an FFN before its attention (" + b.front().id()
                        + "); leave it out of blocks");
            Sublayer attn = b.sublayer(SublayerKind.ATTN);
            Sublayer ffn = b.sublayer(SublayerKind.FFN);
            if (attn == null || ffn == null)
                throw new PassException(PASS, b.id() + " has no " + (attn == null ? "self-attention" : "FFN")
                        + " (it holds " + b.sublayers() + "); leave it out of blocks");
            for (Sublayer s : List.of(attn, ffn))
                if (!s.residual().opType().equals("Add"))
                    throw new PassException(PASS, s.id() + " adds its branch with a fused " + s.residual().opType()
                            + "; rewrite the unfused model (before ONNX Runtime's transformer fusion)");
        }
        return out;
    }

    /** Calibration batches from the context (at most {@code batches}), synthetic ones, or null without evaluator. */
    private List<Map<String, Tensor>> data(Model model, PassContext context, PassResult result) {
        if (context.evaluator() == null) {
            result.note("no evaluator: the output change was not measured");
            return null;
        }
        CalibrationData cal = context.calibration();
        List<Map<String, Tensor>> data;
        if (cal != null && !cal.batches().isEmpty()) {
            data = cal.batches();
            result.metric("calibration", cal.description());
        } else {
            data = SyntheticInputs.make(model.graph(), 4, 2, 16, 0);
            result.metric("calibration", "synthetic");
            result.note("no calibration data: measured on synthetic inputs (4 batches of 2 x 16); give calibration "
                    + "data for a meaningful " + (mode == Mode.SPLIT ? "neuron ranking and " : "") + "measurement");
        }
        return batches > 0 && data.size() > batches ? data.subList(0, batches) : data;
    }

    /** In a pre-LN model the front half-step gets its own copy of the source FFN's norm. */
    private static void ownPreNorm(Map<Value, Value> subs, Graph g, FreshNames names, Sublayer ffn, String id) {
        Norm n = ffn.norm();
        if (n != null && n.placement() == Norm.Placement.PRE) subs.putAll(FfnParams.ownNorm(g, names, n, "_" + id));
    }

    private int moved(FfnParams src) {
        return (int) Math.round(fraction * src.hidden);
    }

    private static boolean isPost(Sublayer s) {
        return s.norm() != null && s.norm().placement() == Norm.Placement.POST;
    }

    /** The block before {@code b} on its stream, or null. */
    private static Block previous(Block b) {
        List<Block> onStream = b.stream().blocks();
        int i = onStream.indexOf(b);
        return i > 0 && onStream.get(i - 1).sublayer(SublayerKind.FFN) != null ? onStream.get(i - 1) : null;
    }

    /** Makes the sublayer's own nodes read the substituted tensors. */
    private static void substitute(Sublayer s, Map<Value, Value> subs) {
        for (Node n : s.nodes())
            for (int i = 0; i < n.inputs().size(); i++) {
                Value to = subs.get(n.input(i));
                if (to != null) n.setInput(i, to);
            }
    }

    /** The FFN's inner values change width; recorded types (value_info) would contradict it. */
    private static void forgetHiddenTypes(Sublayer s) {
        for (Node n : s.nodes()) {
            if (n == s.residual() || (s.norm() != null && s.norm().nodes().contains(n))) continue;
            for (Value o : n.outputs()) if (o != null && !o.isGraphOutput()) o.setType(null);
        }
    }

    private static int[] all(Sublayer ffn) {
        return NeuronTensors.all(FfnParams.of(ffn).hidden);
    }

    /** {k lowest-energy indices, the rest}, each in ascending index order. */
    static int[][] lowest(double[] energy, int k) {
        Integer[] order = new Integer[energy.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> energy[i]));
        int[] moved = new int[k];
        int[] rest = new int[energy.length - k];
        for (int i = 0; i < k; i++) moved[i] = order[i];
        for (int i = k; i < order.length; i++) rest[i - k] = order[i];
        Arrays.sort(moved);
        Arrays.sort(rest);
        return new int[][] {moved, rest};
    }

    static String frontId(Block b) {
        return b.id() + "." + SublayerKind.FFN.id() + Block.FRONT_SUFFIX;
    }

    /** {@code b0[ffn attn ffn] b1[...]} from the result's anatomy; fails when fewer fronts are seen than made. */
    private static String layout(Anatomy after, int made) {
        StringBuilder b = new StringBuilder();
        int fronts = 0;
        for (Block k : after.blocks()) {
            if (k.front() != null) fronts++;
            if (b.length() > 0) b.append(' ');
            b.append(k.id()).append(k.sublayers().stream().map(s -> s.kind().id()).toList().toString()
                    .replace(",", ""));
        }
        if (fronts < made)
            throw new IllegalStateException("macaron made " + made + " front half-steps but the anatomy of the result "
                    + "shows " + fronts + ": " + b);
        return b.toString();
    }

    private static long parameters(Graph g) {
        long n = 0;
        for (Value v : g.initializers()) if (v.initializer() != null) n += v.initializer().elementCount();
        return n;
    }
}
