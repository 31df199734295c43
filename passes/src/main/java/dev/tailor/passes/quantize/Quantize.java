package dev.tailor.passes.quantize;

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
import dev.tailor.passes.fuse.FuseNorms;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Quantizes the matrix products of a model with constant weights (MatMul, and Gemm that is one) and the embedding
 * tables it looks up with Gather, or converts the model to float16.
 *
 * <p>The products are found ({@link Site}), filtered by {@code include}/{@code exclude}, and each is given a
 * quantized twin by the mode's {@link Scheme}. With an evaluator, twins and originals are put side by side behind
 * gates ({@link GatedSites}) and measured on calibration data (the context's, else synthetic): the fidelity of
 * the result (output cosine against the float model), and with {@code target_cosine}, each product's own damage,
 * so the most damaging are kept in float until the target is met. Then one side of each is kept. A weight that
 * several products share is quantized once; a weight that something else also reads (a tied embedding) stays
 * float, so ties hold. Tables ({@link TableLookup}, {@link Int8Tables}) are candidates like products: an int8
 * table shared by several lookups is made once, and a table that anything but a row lookup reads (a tied LM
 * head) stays float, as does the product that reads it.
 */
@PassDef(name = "quantize", summary = "int8 dynamic/static, int4/int8 weight-only or float16, with sensitivity-guided exclusion")
public final class Quantize implements Pass {
    static final String NAME = "quantize";

    public enum Mode { INT8_DYNAMIC, INT8_STATIC, INT4_WEIGHT, INT8_WEIGHT, FP16 }

    public enum Form { FUSED, INTEGER_TO_FLOAT, ONNX }

    public enum IntType { INT8, UINT8 }

    public enum Calibration { MINMAX, PERCENTILE, ENTROPY }

    public enum WeightFormat { MATMUL_NBITS, DEQUANTIZE_LINEAR }

    public enum Embeddings { INT8, FLOAT }

    public enum Norms { AUTO, SKIP, KEEP }

    @Option(doc = "int8_dynamic, int8_static (QDQ), int4_weight, int8_weight (blockwise weight-only) or fp16")
    Mode mode = Mode.INT8_DYNAMIC;

    @Option(doc = "int8_dynamic operators: fused (com.microsoft DynamicQuantizeMatMul), integer_to_float "
            + "(DynamicQuantizeLinear + com.microsoft MatMulIntegerToFloat) or onnx (standard operators only)")
    Form form = Form.FUSED;

    @Option(doc = "embedding tables looked up by Gather, in the int8 and weight-only modes: int8 (symmetric, one "
            + "scale per row; per_channel=false: per table) or float")
    Embeddings embeddings = Embeddings.INT8;

    @Option(doc = "residual Add + LayerNorm/RMSNorm: skip (fused into com.microsoft Skip[Simplified]LayerNormalization, "
            + "ONNX Runtime's fast kernels), keep, or auto (skip where the mode writes com.microsoft operators anyway: "
            + "int8_dynamic fused or integer_to_float, weight-only matmul_nbits); fp16 keeps its norms in float32 islands")
    Norms norms = Norms.AUTO;

    @Option(doc = "int8 weights with one scale per output channel and tables per row (else one per tensor)")
    boolean perChannel = true;

    @Option(doc = "symmetric weights (zero point in the middle) for int8 and weight-only modes")
    boolean symmetric = true;

    @Option(doc = "int8 weight element type: int8 or uint8")
    IntType weightType = IntType.INT8;

    @Option(doc = "7-bit weights, for CPUs whose int8 kernels can saturate (x86 without VNNI)")
    boolean reduceRange = false;

    @Option(doc = "int8_static activation type: uint8 (asymmetric by default) or int8")
    IntType activationType = IntType.UINT8;

    @Option(doc = "int8_static: symmetric activation ranges")
    boolean activationSymmetric = false;

    @Option(doc = "int8_static range calibration: minmax, percentile or entropy")
    Calibration calibration = Calibration.PERCENTILE;

    @Option(doc = "int8_static percentile of |x| kept by calibration=percentile", min = 50, max = 100)
    double percentile = 99.999;

    @Option(doc = "weight-only block size along K (a power of two, at least 16)", min = 16)
    int blockSize = 32;

    @Option(doc = "weight-only operators: matmul_nbits (com.microsoft MatMulNBits) or dequantize_linear "
            + "(standard blocked DequantizeLinear, opset 21)")
    WeightFormat format = WeightFormat.MATMUL_NBITS;

    @Option(doc = "MatMulNBits accuracy_level (0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 compute)", min = 0, max = 4)
    int accuracyLevel = 0;

    @Option(doc = "fp16: op types that stay float32", element = String.class)
    List<String> keepFloat = List.of("LayerNormalization", "SimplifiedLayerNormalization", "SkipLayerNormalization",
            "SkipSimplifiedLayerNormalization", "RMSNormalization", "GroupNormalization", "InstanceNormalization",
            "BatchNormalization", "Softmax", "LogSoftmax", "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2",
            "ReduceLogSumExp", "Pow", "Sqrt", "Reciprocal", "Exp", "Log");

    @Option(doc = "fp16: graph inputs and outputs keep float32 (casts at the edges)")
    boolean keepIoTypes = true;

    @Option(doc = "nodes to consider, by op type, name or anatomy id (globs with *); empty: all", element = String.class)
    List<String> include = List.of();

    @Option(doc = "nodes to leave in float, by op type, name or anatomy id (globs with *)", element = String.class)
    List<String> exclude = List.of();

    @Option(doc = "keep the most sensitive products in float until the output cosine reaches this (0: off)",
            min = 0, max = 1)
    double targetCosine = 0;

    @Option(doc = "calibration batches used at most (0: all)", min = 0)
    int calibrationBatches = 4;

    @Option(doc = "measure the result's fidelity on the calibration data when an evaluator is available")
    boolean measure = true;


    @Override
    public PassResult run(Model model, PassContext context) {
        if (model.graph() == null) return PassResult.unchanged();
        Rewriter rw = new Rewriter(model);
        boolean needIds = include.stream().anyMatch(Quantize::needsAnatomy) || exclude.stream().anyMatch(Quantize::needsAnatomy);
        Selection selection = new Selection(include, exclude,
                needIds ? Selection.AnatomyIds.ANATOMY.of(model) : java.util.Map.of());
        PassResult result = PassResult.unchanged().metric("mode", mode.name().toLowerCase(Locale.ROOT));
        long before = Rewriter.initializerBytes(model.graph());
        for (String u : selection.unmatched(model.graph().nodeList())) result.note(u);
        if (mode == Mode.FP16) return fp16(model, context, rw, selection, result, before);

        List<String> skipped = new ArrayList<>();
        List<Site> sites = new ArrayList<>();
        List<String> keptFloat = new ArrayList<>();
        for (Site s : Site.find(model.graph(), skipped)) {
            if (!selection.selects(s.node)) {
                keptFloat.add(s.name() + " (not selected)");
                continue;
            }
            String tie = tiedElsewhere(s);
            if (tie != null) {
                keptFloat.add(s.name() + " (" + tie + ")");
                continue;
            }
            sites.add(s);
        }
        skipped.forEach(result::note);
        Int8Tables tables = new Int8Tables(perChannel);
        List<TableLookup> lookups = new ArrayList<>();
        List<String> tablesFloat = new ArrayList<>();
        String tablesOff = embeddings == Embeddings.FLOAT ? "embeddings=float" : tables.unsupported(rw);
        for (TableLookup t : TableLookup.find(model.graph())) {
            String why = tablesOff != null ? tablesOff : !selection.selects(t.node()) ? "not selected" : t.tiedElsewhere();
            if (why != null) tablesFloat.add(t.name() + " (" + why + ")");
            else lookups.add(t);
        }
        if (mode == Mode.INT4_WEIGHT || mode == Mode.INT8_WEIGHT) checkWeightOnly(model);

        Evaluator evaluator = context.evaluator();
        boolean needsData = mode == Mode.INT8_STATIC || targetCosine > 0;
        if (needsData && evaluator == null) evaluator = context.requireEvaluator(NAME);
        CalibrationData data = evaluator == null ? null : Measure.data(context, model, calibrationBatches);
        if (data != null) result.metric("data", data.description());

        Scheme scheme = scheme(model, sites, evaluator, data);
        result.metric("scheme", scheme.describe());
        if (!lookups.isEmpty()) result.metric("tables_scheme", tables.describe());
        // Products and table lookups are candidates alike: gated, measured and (with a target) excluded together.
        List<Candidate> candidates = new ArrayList<>(sites);
        candidates.addAll(lookups);
        long[] floatTableBytes = lookups.stream().mapToLong(TableLookup::tableBytes).toArray(); // gone after commit
        List<Value> quantized = new ArrayList<>();
        for (Site s : sites) quantized.add(scheme.emit(s, rw));
        for (TableLookup t : lookups) quantized.add(tables.emit(t, rw));

        boolean[] on = new boolean[candidates.size()];
        java.util.Arrays.fill(on, true);
        if (evaluator != null && (measure || targetCosine > 0) && !candidates.isEmpty()) {
            GatedSites gated = new GatedSites(rw, candidates, quantized);
            try (GatedSites.Scorer scorer = gated.new Scorer(evaluator, data.batches())) {
                double all = scorer.cosine(on);
                result.metric("cosine_all_quantized", all);
                if (targetCosine > 0 && !(all >= targetCosine)) on = exclude(scorer, candidates, all, result);
                result.metric("cosine", scorer.cosine(on)).metric("evaluations", scorer.runs);
            }
            gated.commit(on);
        } else {
            commitDirect(rw, candidates, quantized);
        }
        int found = sites.size() + keptFloat.size();
        List<String> done = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            if (on[i]) done.add(sites.get(i).name());
            else keptFloat.add(sites.get(i).name() + " (sensitive)");
        }
        List<String> tablesDone = new ArrayList<>();
        long tableBefore = 0, tableAfter = 0;
        Set<Value> counted = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < lookups.size(); i++) {
            TableLookup t = lookups.get(i);
            if (!on[sites.size() + i]) {
                tablesFloat.add(t.name() + " (sensitive)");
                continue;
            }
            long b = floatTableBytes[i], a = tables.bytes(t, rw);
            tablesDone.add(t.name() + " " + t.table().name() + " [" + t.rows() + "x" + t.width() + "]: " + b + " -> " + a + " bytes");
            if (counted.add(t.table())) {
                tableBefore += b;
                tableAfter += a;
            }
        }
        int normsFused = fuseNorms(model, result);
        long after = Rewriter.initializerBytes(model.graph());
        if (!tablesDone.isEmpty() || !tablesFloat.isEmpty())
            result.metric("tables_quantized", tablesDone).metric("tables_float", tablesFloat)
                    .metric("table_bytes_before", tableBefore).metric("table_bytes_after", tableAfter);
        return result.modified(!done.isEmpty() || !tablesDone.isEmpty() || normsFused > 0).metric("products_found", found)
                .metric("quantized", done.size()).metric("kept_float", keptFloat.size())
                .metric("quantized_nodes", done).metric("float_nodes", keptFloat)
                .metric("bytes_before", before).metric("bytes_after", after)
                .metric("size_ratio", before == 0 ? 1.0 : (double) after / before);
    }

    /** Fuses the norms into ONNX Runtime's Skip*LayerNormalization when {@code norms} says so (see {@link FuseNorms}). */
    private int fuseNorms(Model model, PassResult result) {
        boolean msAnyway = mode == Mode.INT8_DYNAMIC && form != Form.ONNX
                || (mode == Mode.INT4_WEIGHT || mode == Mode.INT8_WEIGHT) && format == WeightFormat.MATMUL_NBITS;
        if (norms == Norms.KEEP || norms == Norms.AUTO && !msAnyway) return 0;
        FuseNorms.Outcome o = FuseNorms.fuse(model);
        result.metric("norms_fused", o.fused());
        if (!o.left().isEmpty()) result.metric("norms_left", o.left());
        return o.fused();
    }

    /** Entries that may be anatomy ids (read the anatomy only for them): dotted, no path separator. */
    private static boolean needsAnatomy(String entry) {
        return entry.contains(".") && !entry.contains("/");
    }

    private static int countSensitive(boolean[] on) {
        int n = 0;
        for (boolean b : on) if (!b) n++;
        return n;
    }

    /**
     * Sensitivity-guided exclusion: each product's damage alone (1 - cosine with only it quantized), then the
     * fewest most-damaging products kept in float that bring the cosine to the target (binary search over how
     * many, in order of damage; at worst all stay float).
     */
    private boolean[] exclude(GatedSites.Scorer scorer, List<Candidate> sites, double all, PassResult result) {
        int n = sites.size();
        double[] damage = new double[n];
        for (int i = 0; i < n; i++) {
            boolean[] one = new boolean[n];
            one[i] = true;
            damage[i] = 1 - scorer.cosine(one);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -damage[i]));
        Map<String, Double> ranking = new LinkedHashMap<>();
        for (int i = 0; i < Math.min(n, 10); i++) ranking.put(sites.get(order[i]).name(), damage[order[i]]);
        result.metric("sensitivity_top", ranking);
        int lo = 1, hi = n; // hi: known to meet the target (all float)
        boolean[] best = choice(order, n, n);
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            boolean[] c = choice(order, n, mid);
            if (scorer.cosine(c) >= targetCosine) {
                hi = mid;
                best = c;
            } else {
                lo = mid + 1;
            }
        }
        if (hi == n) best = choice(order, n, n);
        result.metric("excluded_for_target", countSensitive(best));
        return best;
    }

    /** All quantized except the first {@code k} of {@code order}. */
    private static boolean[] choice(Integer[] order, int n, int k) {
        boolean[] on = new boolean[n];
        java.util.Arrays.fill(on, true);
        for (int i = 0; i < k; i++) on[order[i]] = false;
        return on;
    }

    private static void commitDirect(Rewriter rw, List<Candidate> sites, List<Value> quantized) {
        List<Node> dead = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            sites.get(i).output().replaceWith(quantized.get(i));
            dead.addAll(sites.get(i).nodes());
        }
        rw.made.addAll(dead);
        rw.removeDead(dead);
    }

    /** Why a site's weight must stay float although the site is selected: something other than products reads it. */
    private static String tiedElsewhere(Site s) {
        for (var u : s.weight.uses()) {
            Node n = u.node();
            boolean product = (n.opType().equals("MatMul") || n.opType().equals("Gemm")) && u.index() == 1;
            if (!product) return "its weight is tied to " + n + ", which reads it as float";
        }
        if (s.weight.isGraphOutput()) return "its weight is a graph output";
        return null;
    }

    private Scheme scheme(Model model, List<Site> sites, Evaluator evaluator, CalibrationData data) {
        DynamicInt8.WeightFormat w = new DynamicInt8.WeightFormat(weightType == IntType.INT8, symmetric, perChannel,
                reduceRange);
        return switch (mode) {
            case INT8_DYNAMIC -> new DynamicInt8(DynamicInt8.Form.valueOf(form.name()), w);
            case INT8_STATIC -> {
                List<Value> acts = new ArrayList<>();
                Set<Value> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
                for (Site s : sites) if (seen.add(s.input)) acts.add(s.input);
                Map<Value, float[]> ranges = acts.isEmpty() ? Map.of() : Calibrator.ranges(model, acts, evaluator,
                        data.batches(), Calibrator.Method.valueOf(calibration.name()), percentile);
                yield new StaticQdq(ranges, w, activationType == IntType.INT8, activationSymmetric);
            }
            case INT4_WEIGHT, INT8_WEIGHT -> new WeightOnly(mode == Mode.INT4_WEIGHT ? 4 : 8, blockSize, symmetric,
                    WeightOnly.Format.valueOf(format.name()), accuracyLevel);
            case FP16 -> throw new IllegalStateException();
        };
    }

    private void checkWeightOnly(Model model) {
        if (Integer.bitCount(blockSize) != 1)
            throw new PassException(NAME, "block_size must be a power of two of at least 16, not " + blockSize);
        if (format == WeightFormat.DEQUANTIZE_LINEAR && model.opsetVersion("") < 21) {
            String why = OpsetUpgrade.to21(model);
            if (why != null)
                throw new PassException(NAME, "format=dequantize_linear needs opset 21 and the model is opset "
                        + model.opsetVersion("") + ": " + why + "; use format=matmul_nbits");
        }
    }

    private PassResult fp16(Model model, PassContext context, Rewriter rw, Selection selection, PassResult result,
                            long before) {
        Evaluator evaluator = measure ? context.evaluator() : null;
        CalibrationData data = evaluator == null ? null : Measure.data(context, model, calibrationBatches);
        List<List<Tensor>> reference = new ArrayList<>();
        List<String> outputs = model.graph().outputs().stream().map(Value::name).toList();
        if (data != null) {
            try (Evaluator.Prepared p = evaluator.prepare(model, outputs)) {
                for (Map<String, Tensor> b : data.batches()) {
                    Map<String, Tensor> r = p.run(b);
                    reference.add(outputs.stream().map(r::get).toList());
                }
            }
        }
        Fp16 f = new Fp16(rw, new HashSet<>(keepFloat), selection::selects, keepIoTypes);
        f.run();
        long after = Rewriter.initializerBytes(model.graph());
        result.modified(f.converted > 0).metric("nodes_float16", f.converted).metric("nodes_float32", f.kept)
                .metric("casts", f.casts).metric("constants_converted", f.constants)
                .metric("bytes_before", before).metric("bytes_after", after)
                .metric("size_ratio", before == 0 ? 1.0 : (double) after / before);
        if (data != null) {
            Measure.Cosine c = new Measure.Cosine(outputs.size());
            List<String> now = model.graph().outputs().stream().map(Value::name).toList();
            try (Evaluator.Prepared p = evaluator.prepare(model, now)) {
                for (int b = 0; b < data.batches().size(); b++) {
                    Map<String, Tensor> r = p.run(Fp16Inputs.adapt(model, data.batches().get(b)));
                    for (int o = 0; o < now.size(); o++) {
                        Tensor ref = reference.get(b).get(o);
                        if (ref != null && Measure.isFloat(ref)) c.add(o, ref, r.get(now.get(o)));
                    }
                }
            }
            result.metric("data", data.description()).metric("cosine", c.min());
        }
        return result;
    }
}
