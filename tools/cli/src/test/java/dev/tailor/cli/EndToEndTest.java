package dev.tailor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command as a user runs it: a child process per command line on real files (bert_tiny, a PyTorch export of
 * testdata, and the bundled MiniLM for the demo), checking exit codes, stdout and stderr.
 */
class EndToEndTest {
    static final String CLEANUP = "fixpoint { identity | shapes | fold | cse | dce }";
    static final List<String> SUBCOMMANDS = List.of("demo", "compile", "convert", "diff", "inspect", "passes",
            "validate", "bench", "completion");

    @TempDir
    static Path dir;
    static TailorProcess tailor;
    static Path bert;

    @BeforeAll
    static void setUp() throws IOException {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        tailor = new TailorProcess(logs);
        bert = ExportedModels.file("bert_tiny");
    }

    private static String firstLine(String s) {
        return s.lines().findFirst().orElse("");
    }

    @Test
    void versionAndHelpEverywhere() {
        TailorProcess.Result v = tailor.run("--version");
        assertEquals(0, v.code(), v.toString());
        assertTrue(v.out().startsWith("tailor 0.1.0-SNAPSHOT\nJava 17"), v.toString());
        TailorProcess.Result root = tailor.run("--help");
        assertEquals(0, root.code(), root.toString());
        for (String sub : SUBCOMMANDS) assertTrue(root.out().contains("\n  " + sub + " "), sub + " in " + root.out());
        assertTrue(root.out().contains("Exit codes: 0 success, 1 validation failed, 2 bad input or usage, 3 internal "
                + "error"), root.out());
        TailorProcess.Result compile = tailor.run("compile", "--help");
        assertEquals(0, compile.code(), compile.toString());
        assertTrue(compile.out().contains("\nExamples:\n  tailor compile @minilm -p \"fixpoint { identity | shapes | "
                + "fold | cse | dce }\" -o clean.onnx\n"), compile.out());
        assertEquals("", compile.err());
        // The other subcommands' help in this JVM (each child process costs a JVM start).
        for (String sub : SUBCOMMANDS) {
            ConvertCommandTest.Run h = ConvertCommandTest.tailor(sub, "--help");
            assertEquals(0, h.code(), h.err());
            assertTrue(h.out().startsWith("Usage: tailor " + sub + " "), h.toString());
            assertTrue(h.out().contains("\nExamples:\n  tailor " + sub) || h.out().contains("\nExamples:\n  source "
                    + "<(./tailor " + sub), h.out());
            assertTrue(h.out().contains("--quiet") && h.out().contains("--verbose"), "inherited options: " + h.out());
            assertEquals("", h.err());
        }
    }

    @Test
    void compileValidatesAndReportsAsJson() throws IOException {
        Path out = dir.resolve("bert-clean.onnx");
        Path report = dir.resolve("bert-clean.md");
        TailorProcess.Result r = tailor.run("compile", bert.toString(), "-p", CLEANUP, "-o", out.toString(),
                "--validate", "--ep", "cpu", "--report", report.toString(), "--json");
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        // stdout holds one JSON document; the per-pass lines went to stderr.
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = (Map<String, Object>) Json.parse(r.out());
        assertEquals(true, doc.get("passed"));
        assertEquals(202L, ((Number) doc.get("nodes_before")).longValue());
        assertEquals(131L, ((Number) doc.get("nodes_after")).longValue());
        @SuppressWarnings("unchecked")
        Map<String, Object> validation = (Map<String, Object>) doc.get("validation");
        assertEquals("cpu", validation.get("execution_provider"));
        assertTrue(r.err().contains("  cse "), r.toString());
        assertTrue(r.err().contains("validating on ONNX Runtime"), "progress on stderr: " + r.err());
        assertEquals(131, OnnxReader.read(out).graph().nodeCount());
        String md = Files.readString(report);
        assertTrue(md.startsWith("### Tailor diff: `" + bert + "` → `" + out + "`"), md);
        assertTrue(md.contains("| nodes | 202 | 131 | -35.1% |"), md);

        TailorProcess.Result quiet = tailor.run("compile", bert.toString(), "-p", CLEANUP, "-o", out.toString(), "-q");
        assertEquals(ExitCodes.OK, quiet.code(), quiet.toString());
        assertEquals("", quiet.err(), "--quiet leaves only the result");
        assertTrue(quiet.out().startsWith("wrote " + out + " ("), quiet.toString());
    }

    @Test
    void everyOtherSubcommandSucceeds() throws IOException {
        Path text = dir.resolve("bert.onnxtxt");
        TailorProcess.Result convert = tailor.run("convert", bert.toString(), text.toString(), "--max-inline-bytes", "1K");
        assertEquals(ExitCodes.OK, convert.code(), convert.toString());
        assertTrue(convert.out().startsWith("wrote " + text), convert.toString());

        TailorProcess.Result inspect = tailor.run("inspect", text.toString(), "--json");
        assertEquals(ExitCodes.OK, inspect.code(), inspect.toString());
        assertTrue(Json.parse(inspect.out()) instanceof Map, inspect.out());
        assertTrue(inspect.out().contains("\"blocks\""), inspect.out());

        TailorProcess.Result passes = tailor.run("passes", "--json");
        assertEquals(ExitCodes.OK, passes.code(), passes.toString());
        assertTrue(passes.out().contains("\"name\": \"prune\""), passes.out());

        TailorProcess.Result diff = tailor.run("diff", bert.toString(), text.toString(), "--format", "json");
        assertEquals(ExitCodes.OK, diff.code(), diff.toString());
        assertTrue(diff.out().contains("\"nodes_removed\": 0,"), "a lossless conversion changes nothing: " + diff.out());

        TailorProcess.Result validate = tailor.run("validate", text.toString(), "--reference", bert.toString(), "--ep",
                "cpu", "--json");
        assertEquals(ExitCodes.OK, validate.code(), validate.toString());
        assertTrue(validate.out().contains("\"max_abs_error\": 0.0,"), validate.out());

        TailorProcess.Result bench = tailor.run("bench", bert.toString(), "--ep", "cpu", "--runs", "3", "--warmup", "1",
                "--json");
        assertEquals(ExitCodes.OK, bench.code(), bench.toString());
        assertTrue(((Number) ((Map<?, ?>) Json.parse(bench.out())).get("p50_ms")).doubleValue() > 0, bench.out());

        TailorProcess.Result completion = tailor.run("completion", "bash");
        assertEquals(ExitCodes.OK, completion.code(), completion.toString());
        assertTrue(completion.out().contains("complete -F"), completion.out());
    }

    @Test
    void badInputIsExitTwoWithOneLineAndAHint() throws IOException {
        Path out = dir.resolve("never.onnx");
        TailorProcess.Result missing = tailor.run("inspect", dir.resolve("missing.onnx").toString());
        assertEquals(ExitCodes.BAD_INPUT, missing.code(), missing.toString());
        assertEquals("tailor: error: " + dir.resolve("missing.onnx") + ": no such file", firstLine(missing.err()));
        assertTrue(missing.err().lines().skip(1).findFirst().orElse("").startsWith("tailor: hint: Tailor reads binary "
                + "ONNX"), missing.toString());

        Path notOnnx = dir.resolve("notes.onnx");
        Files.writeString(notOnnx, "these are my notes, not a model\n");
        TailorProcess.Result bad = tailor.run("compile", notOnnx.toString(), "-p", "dce", "-o", out.toString());
        assertEquals(ExitCodes.BAD_INPUT, bad.code(), bad.toString());
        assertTrue(firstLine(bad.err()).startsWith("tailor: error: " + notOnnx + ": "), bad.toString());
        assertTrue(bad.err().contains("not an ONNX binary model"), bad.toString());

        TailorProcess.Result typo = tailor.run("compile", bert.toString(), "-p", "identity | prune(ration=0.25)", "-o",
                out.toString());
        assertEquals(ExitCodes.BAD_INPUT, typo.code(), typo.toString());
        assertEquals("tailor: error: pipeline:1:18: unknown option 'ration' for prune; did you mean 'ratio'? (options: "
                + "method, count, ratio, metric, keep, only, warmup, output, batches, params, refine, swap_budget, "
                + "evaluation, bound)", firstLine(typo.err()));
        assertTrue(typo.err().contains("\n  identity | prune(ration=0.25)\n                   ^\ntailor: hint: 'tailor "
                + "passes' lists every pass"), typo.toString());

        TailorProcess.Result unknown = tailor.run("compile", bert.toString(), "-p", "identity | shrink", "-o",
                out.toString());
        assertEquals(ExitCodes.BAD_INPUT, unknown.code(), unknown.toString());
        assertTrue(firstLine(unknown.err()).startsWith("tailor: error: pipeline:1:12: unknown pass 'shrink'"),
                unknown.toString());

        TailorProcess.Result usage = tailor.run("compile", bert.toString(), "-o", out.toString());
        assertEquals(ExitCodes.BAD_INPUT, usage.code(), usage.toString());
        assertTrue(usage.err().contains("\ntailor: hint: 'tailor compile --help' shows the options, with examples"),
                usage.toString());

        TailorProcess.Result command = tailor.run("compil");
        assertEquals(ExitCodes.BAD_INPUT, command.code(), command.toString());
        assertTrue(command.err().contains("tailor: hint: did you mean compile"), command.toString());
        for (TailorProcess.Result r : List.of(missing, bad, typo, unknown, usage, command))
            assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no class names or traces: " + r);
        assertFalse(Files.exists(out), "nothing written on bad input");
    }

    @Test
    void aModelThatFailsValidationIsExitOne() {
        Path out = dir.resolve("bert-int8.onnx");
        TailorProcess.Result r = tailor.run("compile", bert.toString(), "-p", "quantize(mode=int8_dynamic)", "-o",
                out.toString(), "--validate", "--ep", "cpu", "--max-abs-error", "1e-6");
        assertEquals(ExitCodes.VALIDATION_FAILED, r.code(), r.toString());
        assertTrue(Files.exists(out), "the result is written before it is judged");
        assertTrue(r.out().contains("\nFAIL: last_hidden_state: max abs error "), r.toString());
        assertTrue(r.out().contains(" is above the threshold 1.00000e-06"), r.toString());
    }

    @Test
    void aBugIsExitThreeWithALogToReport() throws IOException {
        TailorProcess.Result r = tailor.run("compile", bert.toString(), "-p", "test_buggy", "-o",
                dir.resolve("buggy.onnx").toString());
        assertEquals(ExitCodes.INTERNAL, r.code(), r.toString());
        assertEquals("tailor: error: internal error: Index 202 out of bounds for length 202", firstLine(r.err()));
        Matcher m = Pattern.compile("tailor: this is a bug in Tailor; please report it with the log file (\\S+)\n")
                .matcher(r.err());
        assertTrue(m.find(), r.toString());
        String log = Files.readString(Path.of(m.group(1)));
        assertTrue(log.startsWith("command: tailor compile " + bert + " -p test_buggy -o "), log);
        assertTrue(log.contains("at dev.tailor.cli.FailingPass.run("), log);
        assertFalse(r.err().contains("\tat "), "the trace is in the log, not on the screen: " + r);

        TailorProcess.Result verbose = tailor.run("compile", bert.toString(), "-p", "test_buggy", "-o",
                dir.resolve("buggy.onnx").toString(), "--verbose");
        assertEquals(ExitCodes.INTERNAL, verbose.code(), verbose.toString());
        assertTrue(verbose.err().contains("\tat dev.tailor.cli.FailingPass.run("), "--verbose shows it: " + verbose);
    }

    @Test
    void demoCompilesMiniLmValidatesAndWritesReports() throws IOException {
        Path out = dir.resolve("demo");
        TailorProcess.Result r = tailor.run("demo", "-o", out.toString(), "--ep", "cpu");
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        assertTrue(r.out().startsWith("all-MiniLM-L6-v2: prune(count=2) | quantize(mode=int8_dynamic)\n"), r.out());
        assertTrue(r.out().contains("  sublayers   2 removed ("), r.out());
        assertTrue(r.out().contains(", 10 quantized\n"), r.out());
        assertTrue(r.out().contains("\n  PASS (pooled-embedding cosine of every sentence at least 0.80)\n"), r.out());
        assertTrue(r.err().contains("prune step 2/2: scoring candidates"), "progress on stderr: " + r.err());
        Path model = out.resolve("minilm-tailored.onnx");
        for (Path p : List.of(model, out.resolve("diff.md"), out.resolve("diff.html"))) {
            assertTrue(Files.size(p) > 0, p.toString());
            assertTrue(r.out().contains("  " + p + "   "), "says where " + p + " is: " + r.out());
        }
        int fused = 0;
        for (var n : OnnxReader.read(model).graph().nodes()) if (n.opType().equals("DynamicQuantizeMatMul")) fused++;
        assertEquals(30, fused, "every remaining projection is int8");
        String md = Files.readString(out.resolve("diff.md"));
        assertTrue(md.contains(": removed"), md);
    }
}
