package dev.tailor.passes.moe;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.AnatomyException;
import dev.tailor.compiler.anatomy.Role;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerPattern;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.pass.CalibrationData;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.compiler.pass.IntRange;
import dev.tailor.compiler.pass.Option;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.Progress;
import dev.tailor.passes.cleanup.DeadCodeElimination;
import dev.tailor.passes.prune.Scoring;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dense2MoE without training: each selected FFN sublayer becomes a mixture of experts that computes the same
 * function when every expert is active. Its hidden neurons are split into {@code experts} equal groups (balanced
 * k-means on the normalised up/gate weight vectors, after MoEfication, or on co-activation over calibration
 * tokens), optionally after taking the most important neurons (E[a_j²]·‖W2[j,:]‖² on calibration data) as an
 * always-on shared expert (Dense2MoE); the weights are permuted so each expert is a contiguous slice. A router
 * without training picks {@code top_k} experts per token: the centroid router (each expert's mean
 * pre-activation), or a ridge regression fitted on calibration data to predict each expert's true contribution
 * ‖a_e·W2_e‖; by default whichever picks the truly largest experts more often on held-out calibration tokens.
 *
 * <p>Forms: {@code masked} keeps the FFN dense and zeroes the hidden activations of unpicked experts (reference
 * semantics, opset 10), {@code sparse} gathers each expert's tokens, runs only its slice and scatter-adds the
 * results back (fewer FLOPs, opset 11), {@code contrib} is ONNX Runtime's com.microsoft MoE operator. The report
 * gives, per sublayer, the experts, active FFN parameters per token, router accuracy and the FFN output error on
 * held-out calibration tokens, and the cosine of the converted model's output against the original's.
 */
@PassDef(name = "moe", summary = "turn dense FFN sublayers into mixtures of experts without training (Dense2MoE)")
public final class Moe implements Pass {

    /** How neurons are grouped into experts. */
    public enum Clustering {
        KMEANS, COACTIVATION
    }

    /** How tokens are routed. */
    public enum RouterKind {
        AUTO, CENTROID, RIDGE
    }

    /** How the picked experts' outputs are weighted. */
    public enum GateWeights {
        ONE, SOFTMAX
    }

    /** What the converted FFN is written as. */
    public enum Form {
        MASKED, SPARSE, CONTRIB
    }

    @Option(doc = "routed experts per FFN (equal slices of the hidden neurons left after the shared expert)", min = 2)
    int experts = 8;

    @Option(doc = "experts each token uses", min = 1)
    int topK = 2;

    @Option(doc = "share of the hidden neurons, the most important on calibration data, that form an always-on "
            + "shared expert (rounded down to what leaves equal routed experts)", min = 0, max = 0.95)
    double shared = 0;

    @Option(doc = "FFN sublayers to convert, by id or pattern (b3.ffn, *.ffn); empty: every FFN", element = String.class)
    List<String> sublayers = List.of();

    @Option(doc = "blocks whose FFNs are converted (3..5)")
    IntRange blocks = IntRange.ALL;

    @Option(doc = "kmeans (balanced, on normalised up/gate weights) or coactivation (balanced, on activation "
            + "magnitudes over calibration tokens)")
    Clustering clustering = Clustering.KMEANS;

    @Option(doc = "auto (the more accurate of centroid and ridge on held-out calibration tokens; centroid without "
            + "data), centroid, or ridge (fitted on calibration data)")
    RouterKind router = RouterKind.AUTO;

    @Option(doc = "weight of a picked expert: one, or softmax (of the router scores, renormalised over the picked)")
    GateWeights gate = GateWeights.ONE;

    @Option(doc = "masked (dense FFN, unpicked experts zeroed), sparse (per-expert token groups; fewer FLOPs) or "
            + "contrib (com.microsoft MoE)")
    Form form = Form.MASKED;

    @Option(doc = "add each unpicked expert's mean contribution on calibration data instead of nothing (a bias "
            + "per expert, weighted by 1 - its gate weight): dropping an expert then costs only its deviation from "
            + "its mean")
    boolean compensate = false;

    @Option(doc = "calibration tokens recorded per FFN at most (a quarter is held out to measure the router)", min = 16)
    int tokens = 4096;

    @Option(doc = "ridge router penalty, relative to the mean variance of the FFN input", min = 0)
    double ridge = 1e-3;

    @Option(doc = "k-means iterations at most", min = 1)
    int iterations = 30;

    @Option(doc = "seed of the k-means start")
    int seed = 0;

    @Override
    public PassResult run(Model model, PassContext context) {
        if (topK > experts) throw new PassException("moe", "top_k=" + topK + " exceeds experts=" + experts);
        List<Sublayer> selected = select(model);
        List<FfnSite> sites = new ArrayList<>();
        for (Sublayer s : selected) sites.add(FfnSite.of(s));
        checkForm(model);
        if (form == Form.CONTRIB) for (FfnSite s : sites) ContribForm.check(s);

        CalibrationData cal = context.calibration();
        boolean hasData = cal != null && !cal.batches().isEmpty();
        String needs = shared > 0 ? "shared > 0" : compensate ? "compensate=true"
                : clustering == Clustering.COACTIVATION ? "clustering=coactivation"
                : router == RouterKind.RIDGE ? "router=ridge" : null;
        if (needs != null && !hasData)
            throw new PassException("moe", needs + " needs calibration data; give some (tailor compile --calibration) "
                    + "or use shared=0, clustering=kmeans, router=centroid, compensate=false");
        PassResult result = PassResult.changed(true).metric("form", form.name().toLowerCase())
                .metric("experts", experts).metric("top_k", topK);
        List<Activations> recorded = null;
        List<Tensor> reference = null;
        Evaluator evaluator = null;
        List<Map<String, Tensor>> batches = List.of();
        if (hasData) {
            evaluator = context.requireEvaluator("moe");
            batches = cal.batches();
            Recorder.Recording recording = Recorder.record(model, sites, evaluator, batches, tokens);
            recorded = recording.sites();
            reference = recording.outputs();
            result.metric("calibration", cal.description()).metric("calibration_tokens", recorded.get(0).tokens());
        } else {
            result.note("no calibration data: centroid router, k-means on weights; router accuracy and fidelity are "
                    + "not measured");
        }

        Progress progress = context.progress();
        progress.begin("moe: converting FFN sublayers", sites.size());
        List<Map<String, Object>> rows = new ArrayList<>();
        Emitter em = new Emitter(model);
        long activeTotal = 0, ffnTotal = 0;
        try (MatMuls mm = evaluator == null ? null : new MatMuls(evaluator)) {
            for (int i = 0; i < sites.size(); i++) {
                FfnSite site = sites.get(i);
                Activations acts = recorded == null ? null : recorded.get(i);
                Map<String, Object> row = convert(site, acts, em, mm);
                activeTotal += (Long) row.get("active_ffn_parameters");
                ffnTotal += (Long) row.get("ffn_parameters");
                rows.add(row);
                progress.update(i + 1);
            }
        }
        progress.end();
        if (form == Form.CONTRIB && model.opsetVersion("com.microsoft") < 0)
            model.opsets().add(new OpsetImport("com.microsoft", 1L));
        if (form == Form.SPARSE || form == Form.CONTRIB) new DeadCodeElimination().run(model, context);
        result.metric("sublayers", rows).metric("ffn_parameters", ffnTotal).metric("active_ffn_parameters", activeTotal);
        if (reference != null) result.metric("output_cosine", outputCosine(model, evaluator, batches, reference));
        return result;
    }

    /** The FFN sublayers chosen by {@code sublayers} and {@code blocks}. */
    private List<Sublayer> select(Model model) {
        Anatomy anatomy;
        try {
            anatomy = Anatomy.of(model).requireBlocks();
        } catch (AnatomyException e) {
            throw new PassException("moe", e.getMessage());
        }
        List<SublayerPattern> patterns = new ArrayList<>();
        for (String p : sublayers.isEmpty() ? List.of("*.ffn") : sublayers) {
            try {
                patterns.add(SublayerPattern.parse(p));
            } catch (IllegalArgumentException e) {
                throw new PassException("moe", e.getMessage());
            }
        }
        List<Sublayer> out = new ArrayList<>();
        for (Sublayer s : anatomy.sublayers()) {
            if (s.ffn() == null || !blocks.contains(s.block().index())) continue;
            if (patterns.stream().anyMatch(p -> p.matches(s.id()))) out.add(s);
        }
        if (out.isEmpty())
            throw new PassException("moe", "no FFN sublayer matches sublayers=" + sublayers + " in blocks " + blocks
                    + " (the model's FFNs: " + anatomy.sublayers().stream().filter(s -> s.ffn() != null)
                    .map(Sublayer::id).toList() + ")");
        return out;
    }

    private void checkForm(Model model) {
        long opset = model.opsetVersion("");
        long needed = form == Form.SPARSE ? 11 : 10;
        if (opset < needed)
            throw new PassException("moe", "form=" + form.name().toLowerCase() + " needs ONNX opset " + needed
                    + " or later; the model imports opset " + opset);
    }

    /** Converts one FFN and returns its report row. */
    private Map<String, Object> convert(FfnSite site, Activations acts, Emitter em, MatMuls mm) {
        int width = site.width;
        int sharedSize = Layout.sharedSize(width, experts, shared);
        if (sharedSize < 0 || (shared == 0 && width % experts != 0))
            throw FfnSite.fail(site.sublayer, "its " + width + " hidden neurons do not split into " + experts
                    + " equal experts; choose experts dividing " + width + " or a shared fraction");
        double[] importance = sharedSize > 0 ? Partition.importance(acts, site.downWeights(), site.out) : null;
        Layout layout = Partition.build(site, experts, sharedSize, importance, clustering, acts, iterations, seed);

        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", site.sublayer.id());
        row.put("experts", experts);
        row.put("top_k", topK);
        row.put("expert_neurons", layout.expertSize());
        row.put("shared_neurons", sharedSize);
        Router chosen = Router.centroid(site, layout);
        float[] means = null;
        if (acts != null) {
            Contributions c = Contributions.of(acts, site.downWeights(), site.out, layout, mm);
            if (compensate) means = c.means();
            boolean softmax = gate == GateWeights.SOFTMAX;
            RouterQuality centroid = RouterQuality.measure(chosen, acts, c, topK, softmax, means);
            row.put("centroid_accuracy", centroid.accuracy());
            RouterQuality quality = centroid;
            if (router != RouterKind.CENTROID) {
                Router ridgeRouter = Router.ridge(acts, c, ridge, mm);
                RouterQuality r = RouterQuality.measure(ridgeRouter, acts, c, topK, softmax, means);
                row.put("ridge_accuracy", r.accuracy());
                if (router == RouterKind.RIDGE || r.accuracy() > centroid.accuracy()
                        || (r.accuracy() == centroid.accuracy() && r.relativeError() < centroid.relativeError())) {
                    chosen = ridgeRouter;
                    quality = r;
                }
            }
            row.put("router", chosen.kind().name().toLowerCase());
            row.put("router_accuracy", quality.accuracy());
            row.put("ffn_relative_error", quality.relativeError());
            row.put("ffn_cosine", quality.cosine());
            row.put("held_out_tokens", quality.tokens());
        } else {
            row.put("router", chosen.kind().name().toLowerCase());
        }
        // Per neuron: its up (and gate) column, its down row and its biases; the down bias is always active.
        long perNeuron = (long) site.in * (site.gate != null ? 2 : 1) + site.out + site.neuronConstants.size();
        long fixed = site.sublayer.weight(Role.DOWN).bias() != null ? site.out : 0;
        long routerParameters = (long) site.in * experts + experts;
        row.put("ffn_parameters", perNeuron * width + fixed);
        row.put("active_ffn_parameters", perNeuron * (sharedSize + (long) topK * layout.expertSize()) + fixed
                + routerParameters);

        site.permute(layout.order());
        em.at(site.down, site.sublayer.id().replace('.', '_') + "_moe");
        Routing routing = new Routing(chosen, topK, gate == GateWeights.SOFTMAX, means);
        switch (form) {
            case MASKED -> MaskedForm.emit(em, site, layout, routing);
            case SPARSE -> SparseForm.emit(em, site, layout, routing);
            case CONTRIB -> ContribForm.emit(em, site, layout, routing);
        }
        return row;
    }

    /** Mean cosine, over real tokens, of the converted model's first output against the original's. */
    private static double outputCosine(Model model, Evaluator evaluator, List<Map<String, Tensor>> batches,
                                       List<Tensor> reference) {
        String name = model.graph().outputs().get(0).name();
        double sum = 0;
        long n = 0;
        try (Evaluator.Prepared p = evaluator.prepare(model, List.of(name))) {
            for (int i = 0; i < batches.size(); i++) {
                Scoring.Sum s = Scoring.distance(Scoring.Metric.COSINE, reference.get(i),
                        p.run(batches.get(i)).get(name), batches.get(i).get("attention_mask"));
                sum += s.total();
                n += s.count();
            }
        }
        return n == 0 ? Double.NaN : 1 - sum / n;
    }
}
