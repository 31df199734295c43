package dev.tailor.bench;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.EmbeddingAgreement;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.LatencyBench;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quantization benchmark: all-MiniLM-L6-v2 in fp32, ONNX Runtime's quantized twin ({@code -q}, made with
 * {@code quantize_dynamic}) and Tailor's {@code quantize} pipelines, side by side on ONNX Runtime's CPU provider
 * with one intra-op thread, on the evaluation split of the shared corpus (lines 3001..4000): latency against fp32
 * (interleaved runs, ratio of medians; above 1 is faster), pooled-embedding cosine and top-10 neighbour agreement
 * against fp32, and size. Then the decoders (gpt2_tiny, llama_tiny) on synthetic inputs: logits cosine, top-1
 * agreement, size.
 *
 * <pre>tools/bench/run quantize [--sentences FILE] [--lines 3001..4000] [--calibration-lines 1..256]
 *                           [--runs 200] [--latency-batch 8] [--only NAME,NAME] [--no-decoders]</pre>
 */
public final class QuantizeBench {
    /** The pipelines compared on MiniLM: the default first, then the alternatives it was chosen over. */
    static final List<String[]> MINILM = List.of(
            new String[] {"tailor int8_dynamic (default)", "quantize(mode=int8_dynamic)"},
            new String[] {"  norms=keep (norms as exported)", "quantize(mode=int8_dynamic, norms=keep)"},
            new String[] {"fp32, norms fused only (not quantized)", "fuse_norms"},
            new String[] {"  embeddings=float", "quantize(mode=int8_dynamic, embeddings=float)"},
            new String[] {"  tables per tensor", "quantize(mode=int8_dynamic, embeddings=float) "
                    + "| quantize(mode=int8_dynamic, per_channel=false, include=[Gather])"},
            new String[] {"  form=integer_to_float", "quantize(mode=int8_dynamic, form=integer_to_float)"},
            new String[] {"  form=onnx", "quantize(mode=int8_dynamic, form=onnx)"},
            new String[] {"  per_channel=false", "quantize(mode=int8_dynamic, per_channel=false)"},
            new String[] {"  symmetric=false", "quantize(mode=int8_dynamic, symmetric=false)"},
            new String[] {"  weight_type=uint8, symmetric=false", "quantize(mode=int8_dynamic, weight_type=uint8, symmetric=false)"},
            new String[] {"  reduce_range=true (-q's weights)", "quantize(mode=int8_dynamic, reduce_range=true)"},
            new String[] {"  target_cosine=0.995", "quantize(mode=int8_dynamic, target_cosine=0.995)"},
            new String[] {"tailor int8_static (percentile)", "quantize(mode=int8_static)"},
            new String[] {"  norms=skip", "quantize(mode=int8_static, norms=skip)"},
            new String[] {"  calibration=minmax", "quantize(mode=int8_static, calibration=minmax)"},
            new String[] {"  calibration=entropy", "quantize(mode=int8_static, calibration=entropy)"},
            new String[] {"tailor int4_weight (MatMulNBits, 32)", "quantize(mode=int4_weight)"},
            new String[] {"  accuracy_level=4", "quantize(mode=int4_weight, accuracy_level=4)"},
            new String[] {"tailor int8_weight (MatMulNBits, 32)", "quantize(mode=int8_weight)"},
            new String[] {"tailor fp16", "quantize(mode=fp16)"});

    static final List<String[]> DECODERS = List.of(
            new String[] {"int8_dynamic", "quantize(mode=int8_dynamic)"},
            new String[] {"int8_static", "quantize(mode=int8_static)"},
            new String[] {"int4_weight", "quantize(mode=int4_weight)"},
            new String[] {"int4_weight, dequantize_linear", "quantize(mode=int4_weight, format=dequantize_linear)"},
            new String[] {"int8_weight", "quantize(mode=int8_weight)"},
            new String[] {"fp16", "quantize(mode=fp16)"});

    public static void main(String[] args) {
        Path sentences = null;
        LineRange lines = LineRange.EVALUATION;
        LineRange calibrationLines = new LineRange(1, 256);
        int runs = 200;
        int latencyBatch = 8;
        List<String> only = null;
        boolean decoders = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sentences" -> sentences = Path.of(args[++i]);
                case "--lines" -> lines = LineRange.parse(args[++i]);
                case "--calibration-lines" -> calibrationLines = LineRange.parse(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--latency-batch" -> latencyBatch = Integer.parseInt(args[++i]);
                case "--only" -> only = List.of(args[++i].split(","));
                case "--no-decoders" -> decoders = false;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (sentences == null) sentences = findSentences();
        Sessions.Options one = Sessions.Options.of(ExecutionProvider.CPU).withThreads(1, false);
        PipelineParser parser = new PipelineParser(PassRegistry.load());

        Model fp32 = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Model ortQ = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2_Q.model());
        Path tokenizer = ModelZoo.ALL_MINILM_L6_V2.tokenizer();
        DataOptions text = DataOptions.DEFAULTS.withTokenizer(tokenizer).withBatchSize(32);
        Dataset eval = DataSources.open(sentences, fp32, text.withLines(lines));
        Dataset calib = DataSources.open(sentences, fp32, text.withLines(calibrationLines));
        Dataset latencyData = DataSources.open(sentences, fp32, text.withLines(lines).withBatchSize(latencyBatch).withBatches(1));
        Map<String, Tensor> latencyInputs = latencyData.batches().get(0);
        long tokens = latencyInputs.get("input_ids").elementCount();
        System.out.printf(Locale.ROOT, "# Quantization benchmark: all-MiniLM-L6-v2 on ONNX Runtime CPU, 1 intra-op thread "
                        + "(%d cores, %s)%n%n", Runtime.getRuntime().availableProcessors(), cpu());
        System.out.printf(Locale.ROOT, "Fidelity against fp32 on %s; calibration (static, sensitivity) on %s. Latency: "
                        + "batch of %d sentences (%d tokens padded), %d interleaved runs against fp32, ratio of p50s.%n%n",
                eval.description(), calib.description(), latencyBatch, tokens, runs);
        float[][] reference = EmbeddingAgreement.pooled(fp32, eval.batches(), one);

        System.out.println("| model | latency vs fp32 | p50 ms | pooled cosine mean | min | top-10 neighbours | size MB | pass time |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        row("fp32 (reference)", fp32, fp32, latencyInputs, runs, one, reference, eval, null);
        row("ORT quantize_dynamic (-q)", ortQ, fp32, latencyInputs, runs, one, reference, eval, null);
        for (String[] c : MINILM) {
            if (only != null && only.stream().noneMatch(o -> c[0].contains(o) || c[1].contains(o))) continue;
            Model m = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
            PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(calib).build();
            long t0 = System.nanoTime();
            List<PassReport> reports = new PassManager(false).run(m, parser.parse(c[1]), ctx);
            double secs = (System.nanoTime() - t0) / 1e9;
            // A pipe in a pipeline would end the Markdown cell.
            row(c[0] + " `" + c[1].replace("|", "\\|") + "`", m, fp32, latencyInputs, runs, one, reference, eval,
                    String.format(Locale.ROOT, "%.1f s", secs) + note(reports));
        }
        if (!decoders) return;
        for (String name : List.of("gpt2_tiny", "llama_tiny")) {
            Model base = OnnxReader.read(ExportedModels.file(name));
            Dataset data = DataSources.open(null, base, DataOptions.DEFAULTS.withBatches(4).withBatchSize(2).withSequenceLength(32));
            System.out.printf(Locale.ROOT, "%n## %s (%s), synthetic inputs: %s%n%n", name, mb(size(base)) + " MB",
                    data.description());
            System.out.println("| pipeline | logits cosine | top-1 agreement | size MB | quantized |");
            System.out.println("|---|---|---|---|---|");
            for (String[] c : DECODERS) {
                Model m = OnnxReader.read(ExportedModels.file(name));
                PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(data).build();
                List<PassReport> reports = new PassManager(false).run(m, parser.parse(c[1]), ctx);
                Validator.Report v = Validator.validate(base, m, data.batches(), one, Validator.Thresholds.defaults());
                Validator.OutputMetrics o = v.outputs().get(0);
                Object q = reports.get(0).result().metrics().getOrDefault("quantized",
                        reports.get(0).result().metrics().get("nodes_float16"));
                System.out.printf(Locale.ROOT, "| %s | %.5f | %s | %s | %s |%n", c[0], o.cosine(),
                        o.top1Agreement() == null ? "-" : String.format(Locale.ROOT, "%.3f", o.top1Agreement()),
                        mb(size(m)), q);
            }
        }
    }

    private static String note(List<PassReport> reports) {
        Map<String, Object> m = reports.get(reports.size() - 1).result().metrics();
        Object excluded = m.get("excluded_for_target");
        // norms fused over the whole pipeline (a second quantize finds them fused already)
        Integer norms = reports.stream().map(r -> (Integer) r.result().metrics().get("norms_fused"))
                .filter(java.util.Objects::nonNull).reduce(Integer::sum).orElse(null);
        return (excluded == null ? "" : "; " + excluded + " kept float") + (norms == null ? "" : "; " + norms + " norms fused");
    }

    private static void row(String label, Model m, Model fp32, Map<String, Tensor> inputs, int runs,
                            Sessions.Options options, float[][] reference, Dataset eval, String extra) {
        LatencyBench.Result lat = LatencyBench.run(m, fp32, inputs, Math.max(10, runs / 10), runs, options);
        float[][] emb = EmbeddingAgreement.pooled(m, eval.batches(), options);
        EmbeddingAgreement.Result r = EmbeddingAgreement.compare(reference, emb, 10);
        System.out.printf(Locale.ROOT, "| %s | %.2f× | %.2f | %.5f | %.4f | %.3f | %s | %s |%n", label, lat.ratio(),
                lat.model().p50(), r.pooledCosineMean(), r.pooledCosineMin(), r.neighbourAgreement(), mb(size(m)),
                extra == null ? "" : extra);
    }

    static long size(Model m) {
        return OnnxWriter.toBytes(m).length;
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1e6);
    }

    static String cpu() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).strip();
        } catch (Exception e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    static Path findSentences() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("shared/data/calibration-sentences.txt");
            if (Files.isRegularFile(p)) return p;
        }
        throw new IllegalStateException("shared/data/calibration-sentences.txt not found; pass --sentences FILE");
    }
}
