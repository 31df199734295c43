package dev.tailor.bench;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The pruning-search benchmark: all-MiniLM-L6-v2, FinerCut removing 25% of its sublayers (3 of 12), calibrated on
 * 32 sentences padded to 128 tokens, with the three ways of running candidates side by side in one process:
 * {@code rebuild} (a pruned model and a new session per candidate), {@code gated} (one gated model prepared once and
 * run whole per candidate: FinerCut's reference design) and {@code cached} (Tailor's: the streams before each
 * candidate are cached and only the suffix after it runs). Each row is the whole pass (preparing, reference run,
 * search, rewrite), timed as wall time and as the process's CPU time (all threads, ONNX Runtime's included: the
 * fairer measure on a shared machine); repetitions are interleaved and medians reported, with ratios against
 * {@code cached}.
 * The selections must agree, and the benchmark fails if they do not.
 *
 * <pre>tools/bench/run prune [--sentences FILE] [--lines 1..32] [--tokens 128] [--count 3] [--reps 1]
 *                        [--batch-size 8] [--designs "cached;gated, bound=false;..."] [--pipeline-extra "refine=swap"]</pre>
 *
 * <p>The default rows: Tailor's default ({@code cached}), the same with {@code bound} (a candidate stops running
 * once the calibration batches it has run put it behind the best of its step), and the two designs it replaces.
 */
public final class PruneBench {
    public static void main(String[] args) {
        Path sentences = null;
        LineRange lines = new LineRange(1, 32);
        int tokens = 128;
        int count = 3;
        int reps = 1;
        List<String> designs = List.of("cached", "cached, bound=true", "gated", "rebuild");
        int batchSize = 8;
        String extra = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sentences" -> sentences = Path.of(args[++i]);
                case "--lines" -> lines = LineRange.parse(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--count" -> count = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--designs" -> designs = List.of(args[++i].split(";"));
                case "--batch-size" -> batchSize = Integer.parseInt(args[++i]);
                case "--pipeline-extra" -> extra = ", " + args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (sentences == null) sentences = QuantizeBench.findSentences();
        Path file = ModelZoo.ALL_MINILM_L6_V2.model();
        Model probe = OnnxReader.read(file);
        Dataset calibration = DataSources.open(sentences, probe, DataOptions.DEFAULTS
                .withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer()).withLines(lines).withMaxLength(tokens)
                .withPadding(DataOptions.Padding.MAX_LENGTH).withBatchSize(batchSize));
        PipelineParser parser = new PipelineParser(PassRegistry.load());
        System.out.printf(Locale.ROOT, "# Pruning-search benchmark: all-MiniLM-L6-v2, prune(count=%d%s), ONNX Runtime "
                        + "CPU (%d cores, %s)%n%nCalibration: %s, padded to %d tokens.%n%n", count, extra,
                Runtime.getRuntime().availableProcessors(), QuantizeBench.cpu(), calibration.description(), tokens);

        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        Map<String, double[]> seconds = new LinkedHashMap<>();
        Map<String, double[]> cpu = new LinkedHashMap<>();
        Map<String, PassResult> results = new LinkedHashMap<>();
        for (String d : designs) {
            seconds.put(d, new double[reps]);
            cpu.put(d, new double[reps]);
        }
        // Untimed warm-up, one removal with each design: the JIT compiles their code and ONNX Runtime loads its
        // kernels, so that no design timed pays for the process starting (the first one did: up to a third).
        for (String d : designs)
            new PassManager(false).run(OnnxReader.read(file), parser.parse("prune(count=1, evaluation=" + d + extra + ")"),
                    PassContext.builder().evaluator(new OrtEvaluator()).calibration(calibration).build());
        for (int r = 0; r < reps; r++) {
            List<String> order = new ArrayList<>(designs);
            if (r % 2 == 1) java.util.Collections.reverse(order);
            for (String d : order) {
                Model m = OnnxReader.read(file);
                PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(calibration).build();
                long t0 = System.nanoTime();
                long c0 = os.getProcessCpuTime();
                List<PassReport> reports = new PassManager(false).run(m,
                        parser.parse("prune(count=" + count + ", evaluation=" + d + extra + ")"), ctx);
                seconds.get(d)[r] = (System.nanoTime() - t0) / 1e9;
                cpu.get(d)[r] = (os.getProcessCpuTime() - c0) / 1e9;
                results.put(d, reports.get(reports.size() - 1).result());
                System.err.printf(Locale.ROOT, "rep %d %s: %.1f s, cpu %.1f s%n", r + 1, d, seconds.get(d)[r],
                        cpu.get(d)[r]);
            }
        }
        String baseline = designs.get(0);
        double base = median(seconds.get(baseline));
        double baseCpu = median(cpu.get(baseline));
        System.out.println("| design | wall time (median of " + reps + ") | / " + baseline + " | CPU time | / "
                + baseline + " | evaluations | removed | score after each step |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        List<String> mismatches = new ArrayList<>();
        Object expected = results.get(baseline).metrics().get("removed");
        for (String d : designs) {
            PassResult r = results.get(d);
            double s = median(seconds.get(d));
            double c = median(cpu.get(d));
            System.out.printf(Locale.ROOT, "| %s | %.1f s | %.2f× | %.1f s | %.2f× | %s | %s | %s |%n", d, s, s / base,
                    c, c / baseCpu, r.metrics().get("evaluations"), String.join(" ", removed(r)), scores(r));
            if (!expected.equals(r.metrics().get("removed"))) mismatches.add(d + " removed " + removed(r));
            if (r.metrics().containsKey("refine_swaps"))
                System.out.printf(Locale.ROOT, "  refine=swap on %s: score %.4f -> %.4f, exchanges %s, %s scores%n", d,
                        (Double) r.metrics().get("refine_score_before"), (Double) r.metrics().get("refine_score_after"),
                        r.metrics().get("refine_swaps"), r.metrics().get("refine_evaluations"));
        }
        if (!mismatches.isEmpty()) {
            System.err.println("selections differ from " + baseline + " (" + expected + "): " + mismatches);
            System.exit(1);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> removed(PassResult r) {
        return (List<String>) r.metrics().get("removed");
    }

    @SuppressWarnings("unchecked")
    private static String scores(PassResult r) {
        List<Double> s = (List<Double>) r.metrics().get("scores");
        return String.join(" ", s.stream().map(x -> String.format(Locale.ROOT, "%.4f", x)).toList());
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
