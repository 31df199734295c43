package dev.tailor.bench;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.EmbeddingAgreement;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.LatencyBench;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.Perplexity;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.testdata.TrainedLm;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The Dense2MoE benchmark. Fidelity: all-MiniLM-L6-v2 converted with 8 experts at top-k 8, 6, 4, 2, centroid
 * against ridge router, with and without a shared expert and compensation (calibration on lines 1..128 of the
 * shared corpus, measured on the evaluation split: mean-pooled embedding cosine and top-10 neighbour agreement
 * against the original); then a SwiGLU decoder (lm_tiny, trained; its calibration and held-out token rows), the
 * same sweep with perplexity and logits agreement. Speed: the sparse form against the masked one (and the dense
 * original) on ONNX Runtime's CPU provider with one intra-op thread, interleaved runs, ratio of medians (above 1:
 * sparse is faster).
 *
 * <pre>tools/bench/run moe [--lines 3001..4000] [--calibration-lines 1..128] [--runs 100] [--latency-batch 8]
 *                      [--lm MODEL --lm-calibration NPZ --lm-evaluation NPZ] [--skip minilm,decoder,latency]</pre>
 */
public final class MoeBench {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());

    public static void main(String[] args) {
        LineRange lines = LineRange.EVALUATION;
        LineRange calibrationLines = new LineRange(1, 128);
        int runs = 100;
        int latencyBatch = 8;
        Path lm = null, lmCalibration = null, lmEvaluation = null;
        List<String> skip = List.of();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--lines" -> lines = LineRange.parse(args[++i]);
                case "--calibration-lines" -> calibrationLines = LineRange.parse(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--latency-batch" -> latencyBatch = Integer.parseInt(args[++i]);
                case "--lm" -> lm = Path.of(args[++i]);
                case "--lm-calibration" -> lmCalibration = Path.of(args[++i]);
                case "--lm-evaluation" -> lmEvaluation = Path.of(args[++i]);
                case "--skip" -> skip = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Sessions.Options one = Sessions.Options.of(ExecutionProvider.CPU).withThreads(1, false);
        Path sentences = QuantizeBench.findSentences();
        Supplier<Model> minilm = () -> OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Model original = minilm.get();
        DataOptions text = DataOptions.DEFAULTS.withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer()).withBatchSize(32);
        Dataset calibration = DataSources.open(sentences, original, text.withLines(calibrationLines).withMaxLength(128));
        if (!skip.contains("minilm")) minilmSweep(minilm, original, calibration,
                DataSources.open(sentences, original, text.withLines(lines)), one);
        if (!skip.contains("decoder")) decoderSweep(lm, lmCalibration, lmEvaluation, one);
        if (!skip.contains("latency")) {
            Map<String, Tensor> inputs = DataSources.open(sentences, original,
                    text.withLines(lines).withBatchSize(latencyBatch).withBatches(1)).batches().get(0);
            latency(minilm, original, calibration, inputs, runs, one);
        }
    }

    private static void minilmSweep(Supplier<Model> minilm, Model original, Dataset calibration, Dataset eval,
                                    Sessions.Options one) {
        System.out.printf(Locale.ROOT, "## all-MiniLM-L6-v2, every FFN to 8 experts; calibration %s; fidelity on %s%n%n",
                calibration.description(), eval.description());
        float[][] reference = EmbeddingAgreement.pooled(original, eval.batches(), one);
        System.out.println("| top-k | router | shared | active FFN params | router accuracy | FFN rel. error | "
                + "pooled cosine mean | min | top-10 neighbours | output cosine (calib.) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        List<String> pipelines = new ArrayList<>();
        pipelines.add("moe(experts=8, top_k=8)");
        for (String shared : List.of("0", "0.25"))
            for (String router : List.of("centroid", "ridge"))
                for (int k : new int[] {6, 4, 2})
                    pipelines.add("moe(experts=8, top_k=" + k + ", router=" + router + ", shared=" + shared + ")");
        for (int k : new int[] {6, 4, 2})
            pipelines.add("moe(experts=8, top_k=" + k + ", router=ridge, shared=0.25, compensate=true)");
        pipelines.add("moe(experts=8, top_k=2, router=ridge, shared=0.25, clustering=coactivation)");
        pipelines.add("moe(experts=8, top_k=2, router=ridge, shared=0.25, gate=softmax)");
        for (String p : pipelines) {
            Model m = minilm.get();
            Map<String, Object> metrics = convert(m, p, calibration);
            EmbeddingAgreement.Result r = EmbeddingAgreement.compare(reference,
                    EmbeddingAgreement.pooled(m, eval.batches(), one), 10);
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %.4f | %.4f | %.3f | %.4f |%n",
                    metrics.get("top_k"), routers(metrics), option(p, "shared", "0"), active(metrics),
                    mean(metrics, "router_accuracy"), mean(metrics, "ffn_relative_error"), r.pooledCosineMean(),
                    r.pooledCosineMin(), r.neighbourAgreement(), (Double) metrics.get("output_cosine"));
            if (p.contains("clustering") || p.contains("gate=") || p.contains("compensate"))
                System.out.println("|   ^ `" + p + "` |||||||||");
        }
        System.out.println();
    }

    private static void decoderSweep(Path lm, Path lmCalibration, Path lmEvaluation, Sessions.Options one) {
        Path file = lm != null ? lm : TrainedLm.model();
        Supplier<Model> model = () -> OnnxReader.read(file);
        Model original = model.get();
        DataOptions rows = DataOptions.DEFAULTS.withBatchSize(32);
        Dataset calibration = DataSources.open(lmCalibration != null ? lmCalibration : TrainedLm.calibration(),
                original, rows);
        Dataset eval = DataSources.open(lmEvaluation != null ? lmEvaluation : TrainedLm.evaluation(), original, rows);
        System.out.printf(Locale.ROOT, "## %s, every FFN to 8 experts; calibration %s; evaluation %s%n%n",
                file.getFileName(), calibration.description(), eval.description());
        Perplexity.Result base = Perplexity.of(original, eval.batches(), one);
        System.out.printf(Locale.ROOT, "original perplexity %.3f over %d predictions%n%n", base.perplexity(), base.targets());
        System.out.println("| top-k | router | shared | active FFN params | router accuracy | FFN rel. error | "
                + "perplexity | vs original | logits cosine | top-1 agreement |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        List<String> pipelines = new ArrayList<>();
        for (String shared : List.of("0", "0.25"))
            for (String router : List.of("centroid", "ridge"))
                for (int k : new int[] {8, 6, 4, 2}) {
                    if (k == 8 && !(shared.equals("0") && router.equals("centroid"))) continue;
                    pipelines.add("moe(experts=8, top_k=" + k + ", router=" + router + ", shared=" + shared + ")");
                }
        for (int k : new int[] {6, 4, 2})
            pipelines.add("moe(experts=8, top_k=" + k + ", router=ridge, shared=0.25, compensate=true)");
        for (String p : pipelines) {
            Model m = model.get();
            Map<String, Object> metrics = convert(m, p, calibration);
            Perplexity.Result ppl = Perplexity.of(m, eval.batches(), one);
            Validator.OutputMetrics o = Validator.validate(original, m, eval.batches(), one,
                    Validator.Thresholds.defaults()).outputs().get(0);
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %.3f | %+.1f%% | %.4f | %s |%n",
                    metrics.get("top_k"), routers(metrics), option(p, "shared", "0"), active(metrics),
                    mean(metrics, "router_accuracy"), mean(metrics, "ffn_relative_error"), ppl.perplexity(),
                    100 * (ppl.perplexity() / base.perplexity() - 1), o.cosine(),
                    o.top1Agreement() == null ? "-" : String.format(Locale.ROOT, "%.3f", o.top1Agreement()));
            if (p.contains("compensate")) System.out.println("|   ^ `" + p + "` |||||||||");
        }
        System.out.println();
    }

    private static void latency(Supplier<Model> minilm, Model original, Dataset calibration,
                                Map<String, Tensor> inputs, int runs, Sessions.Options one) {
        System.out.printf(Locale.ROOT, "## sparse against masked, all-MiniLM-L6-v2, batch of %d sentences (%d tokens "
                + "padded), ORT CPU, 1 thread, %d interleaved runs%n%n", inputs.get("input_ids").dims()[0],
                inputs.get("input_ids").elementCount(), runs);
        System.out.println("| experts | top-k | k/E | sparse p50 ms | masked p50 ms | sparse vs masked | dense p50 ms | "
                + "sparse vs dense |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int[] ek : new int[][] {{8, 2}, {8, 1}, {16, 4}, {16, 2}, {4, 1}, {8, 4}}) {
            String base = "moe(experts=" + ek[0] + ", top_k=" + ek[1] + ", router=centroid, form=";
            Model sparse = minilm.get();
            convert(sparse, base + "sparse)", null);
            Model masked = minilm.get();
            convert(masked, base + "masked)", null);
            LatencyBench.Result vsMasked = LatencyBench.run(sparse, masked, inputs, Math.max(5, runs / 10), runs, one);
            LatencyBench.Result vsDense = LatencyBench.run(sparse, original, inputs, Math.max(5, runs / 10), runs, one);
            System.out.printf(Locale.ROOT, "| %d | %d | %.3f | %.2f | %.2f | %.2f× | %.2f | %.2f× |%n", ek[0], ek[1],
                    (double) ek[1] / ek[0], vsMasked.model().p50(), vsMasked.other().p50(), vsMasked.ratio(),
                    vsDense.other().p50(), vsDense.ratio());
        }
    }

    private static Map<String, Object> convert(Model m, String pipeline, Dataset calibration) {
        PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(calibration).build();
        List<PassReport> reports = new PassManager(false).run(m, PARSER.parse(pipeline), ctx);
        return reports.get(reports.size() - 1).result().metrics();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rows(Map<String, Object> metrics) {
        return (List<Map<String, Object>>) metrics.get("sublayers");
    }

    private static String mean(Map<String, Object> metrics, String key) {
        double s = 0;
        int n = 0;
        for (Map<String, Object> row : rows(metrics))
            if (row.get(key) instanceof Number v) {
                s += v.doubleValue();
                n++;
            }
        return n == 0 ? "-" : String.format(Locale.ROOT, "%.3f", s / n);
    }

    private static String routers(Map<String, Object> metrics) {
        return String.join("/", rows(metrics).stream().map(r -> (String) r.get("router")).distinct().toList());
    }

    private static String active(Map<String, Object> metrics) {
        long active = ((Number) metrics.get("active_ffn_parameters")).longValue();
        long total = ((Number) metrics.get("ffn_parameters")).longValue();
        return String.format(Locale.ROOT, "%.1f%%", 100.0 * active / total);
    }

    private static String option(String pipeline, String name, String absent) {
        int i = pipeline.indexOf(name + "=");
        if (i < 0) return absent;
        int end = i + name.length() + 1;
        while (end < pipeline.length() && pipeline.charAt(end) != ',' && pipeline.charAt(end) != ')') end++;
        return pipeline.substring(i + name.length() + 1, end);
    }
}
