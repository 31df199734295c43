package dev.tailor.cli;

import dev.tailor.report.BlockMap;
import dev.tailor.report.DiffReport;
import dev.tailor.report.ReportFormat;
import dev.tailor.runtime.Compilation;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.runtime.data.SharedCorpus;
import dev.tailor.testdata.ModelZoo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tailor demo}: the main job end to end on the bundled all-MiniLM-L6-v2: prune sublayers and quantize to
 * int8 with text calibration, prove the result on ONNX Runtime on sentences it was not calibrated on, and write the
 * model and a diff report (Markdown and HTML).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compile the bundled all-MiniLM-L6-v2 (from Maven Central) with a real pipeline: prune the "
                + "sublayers that matter least (calibrated on sentences of the shared corpus), quantize to int8, "
                + "validate the result on ONNX Runtime on other sentences, and write the model and a diff report "
                + "(Markdown and HTML) into a folder.",
                "The corpus is shared/data/calibration-sentences.txt beside the checkout (or --sentences)."},
        footer = {"", "Examples:",
                "  tailor demo",
                "  tailor demo -o /tmp/demo --prune 1 --ep cpu",
                "", "Exit codes: 0 done and validated, 1 the result failed validation, 2 bad input, 3 a bug."})
final class DemoCommand implements Callable<Integer> {
    static final String MODEL = "@minilm";
    static final LineRange CALIBRATION = new LineRange(1, 16);
    static final LineRange EVALUATION = new LineRange(3001, 3032);
    static final int MAX_LENGTH = 64;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", defaultValue = "tailor-demo",
            description = "the folder for the model and the reports (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--prune", paramLabel = "N", defaultValue = "2",
            description = "sublayers to remove of MiniLM's 12 (default: ${DEFAULT-VALUE})")
    int prune;

    @Option(names = "--min-pooled-cosine", paramLabel = "X", defaultValue = "0.80",
            description = "validation floor of every sentence's mean-pooled embedding cosine (default: ${DEFAULT-VALUE}: "
                    + "pruning a distilled model costs fidelity; 'tailor validate' defaults to 0.98)")
    double minPooled;

    @Option(names = "--ep", paramLabel = "EP", defaultValue = "auto", converter = RuntimeArgs.EpConverter.class,
            description = "execution provider of the validation: auto (CUDA if it works, else CPU), cpu or cuda")
    ExecutionProvider ep;

    @Option(names = "--sentences", paramLabel = "FILE",
            description = "the text corpus (default: shared/data/calibration-sentences.txt, found above the checkout "
                    + "or the working folder)")
    Path sentences;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (prune < 0 || prune > 12)
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "--prune " + prune + " is out of range",
                    "MiniLM has 12 sublayers (6 attention, 6 FFN); remove 0 to 12");
        if (Files.exists(dir) && !Files.isDirectory(dir))
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, dir + ": is a file, not a folder",
                    "give the demo a folder with -o DIR");
        Console console = Console.of(spec);
        Path corpus = sentences != null ? sentences : relative(SharedCorpus.find(home(), Path.of("")));
        Path tokenizer = ModelZoo.ALL_MINILM_L6_V2.tokenizer();
        DataOptions text = DataOptions.DEFAULTS.withTokenizer(tokenizer).withMaxLength(MAX_LENGTH);
        String pipeline = pipeline(prune);
        Path model = dir.resolve("minilm-tailored.onnx");
        console.info("tailor demo: all-MiniLM-L6-v2 through " + pipeline);
        console.info("  calibration: lines " + CALIBRATION + " of " + corpus + "; validation: lines " + EVALUATION);

        Files.createDirectories(dir);
        Compilation.Result r = new Compilation(ModelZoo.ALL_MINILM_L6_V2.model())
                .pipeline(pipeline, "demo pipeline")
                .output(model)
                .calibration(corpus, text.withLines(CALIBRATION))
                .validate(new Compilation.Validation(Sessions.Options.of(ep),
                        new Validator.Thresholds(null, null, null, minPooled), corpus, text.withLines(EVALUATION)))
                .progress(console.progress())
                .reports(p -> CompileCommand.printPass(console, p))
                .run();
        console.notes(r.validation().notices());

        DiffReport diff = CompileCommand.diff(MODEL, model.getFileName().toString(), r);
        Path markdown = dir.resolve("diff.md");
        Path html = dir.resolve("diff.html");
        ReportFiles.write(null, markdown, ReportFormat.MARKDOWN.render(diff));
        ReportFiles.write(null, html, ReportFormat.HTML.render(diff));

        PrintWriter out = console.out();
        summary(out, r, diff);
        out.println("wrote:");
        out.println("  " + model + "   the compiled model");
        out.println("  " + markdown + "   the diff report, Markdown (for a pull request)");
        out.println("  " + html + "   the same, one self-contained HTML page");
        out.flush();
        return r.passed() ? ExitCodes.OK : ExitCodes.VALIDATION_FAILED;
    }

    /** The demo's pipeline: prune (FinerCut), drop the pruned branches, quantize the matrix products to int8. */
    static String pipeline(int prune) {
        return (prune > 0 ? "prune(count=" + prune + ") | " : "") + "quantize(mode=int8_dynamic)";
    }

    private void summary(PrintWriter out, Compilation.Result r, DiffReport diff) {
        DiffReport.Side a = diff.before();
        DiffReport.Side b = diff.after();
        out.printf(Locale.ROOT, "all-MiniLM-L6-v2: %s%n", r.pipeline());
        out.printf(Locale.ROOT, "  file        %s -> %s (%.1fx smaller)%n", ByteSize.human(r.inputBytes()),
                ByteSize.human(r.outputBytes()), (double) r.inputBytes() / r.outputBytes());
        out.printf(Locale.ROOT, "  parameters  %,d -> %,d; nodes %d -> %d%n", a.parameters(), b.parameters(), a.nodes(),
                b.nodes());
        if (diff.blockMap() != null) out.println("  sublayers   " + sublayers(diff.blockMap()));
        Validator.Report v = r.validation();
        for (Validator.OutputMetrics m : v.outputs()) {
            out.printf(Locale.ROOT, "  validation  %s on %s, %d sentences (lines %s): cosine %.4f", m.name(),
                    v.provider(), EVALUATION.to() - EVALUATION.from() + 1, EVALUATION, m.cosine());
            if (m.pooledCosineMean() != null)
                out.printf(Locale.ROOT, ", pooled-embedding cosine mean %.4f (min %.4f)", m.pooledCosineMean(),
                        m.pooledCosineMin());
            out.println();
        }
        out.printf(Locale.ROOT, "  %s (pooled-embedding cosine of every sentence at least %.2f)%n",
                v.passed() ? "PASS" : "FAIL: " + String.join("; ", v.failures()), minPooled);
    }

    /** Counts by status, then the removed ones by id: "10 quantized, 2 removed (b1.ffn, b2.attn)". */
    static String sublayers(BlockMap map) {
        int[] counts = new int[BlockMap.Status.values().length];
        List<String> removed = new ArrayList<>();
        for (BlockMap.Block block : map.blocks())
            for (BlockMap.Sublayer s : block.sublayers()) {
                counts[s.status().ordinal()]++;
                if (s.status() == BlockMap.Status.REMOVED)
                    removed.add("b" + block.index() + "." + (s.kind().startsWith("attn") ? "attn" : s.kind()));
            }
        List<String> parts = new ArrayList<>();
        for (BlockMap.Status st : BlockMap.Status.values())
            if (counts[st.ordinal()] > 0)
                parts.add(counts[st.ordinal()] + " " + st.name().toLowerCase(Locale.ROOT)
                        + (st == BlockMap.Status.REMOVED ? " (" + String.join(", ", removed) + ")" : ""));
        return String.join(", ", parts);
    }

    /** {@code file} relative to the working folder, as the user would type it (it shows in the reports). */
    private static Path relative(Path file) {
        Path here = Path.of("").toAbsolutePath();
        Path abs = file.toAbsolutePath().normalize();
        return abs.getRoot().equals(here.getRoot()) ? here.relativize(abs) : abs;
    }

    /** The checkout the launcher runs from ({@code -Dtailor.home}), where the corpus is looked for first. */
    private static Path home() {
        String h = System.getProperty("tailor.home");
        return h == null ? null : Path.of(h);
    }
}
