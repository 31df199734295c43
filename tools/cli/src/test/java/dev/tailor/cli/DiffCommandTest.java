package dev.tailor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffCommandTest {
    @TempDir
    Path dir;

    /** y = (x * w) + (x * w2) through an Identity, w2 a duplicate of w, and a dead Neg: cleanup removes 3 nodes. */
    private Path model() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 4));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {4}, 1, 2, 3, 4));
        Value dup = b.initializer(Tensor.ofFloats("w2", new long[] {4}, 1, 2, 3, 4));
        b.op("Neg", x);
        b.output(b.op("Add", b.op("Identity", b.op("Mul", x, w)), b.op("Mul", x, dup)));
        Path p = dir.resolve("in.onnx");
        OnnxWriter.write(Model.of(b.build(), 17), p);
        return p;
    }

    private Path cleaned(Path in) {
        Path out = dir.resolve("out.onnx");
        var r = ConvertCommandTest.tailor("compile", in.toString(), "-p", "fixpoint { identity | cse | dce }", "-o",
                out.toString());
        assertEquals(0, r.code(), r.err());
        return out;
    }

    @Test
    void diffsInEveryFormat() {
        Path in = model();
        Path out = cleaned(in);
        var text = ConvertCommandTest.tailor("diff", in.toString(), out.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("nodes: 0 added, 3 removed, 1 changed; 2 matched (2 by name, 0 by structure)"),
                text.out());
        assertTrue(text.out().contains("initializers: 0 added, 1 removed, 0 changed"), text.out());
        var json = ConvertCommandTest.tailor("diff", in.toString(), out.toString(), "--format", "json");
        assertTrue(json.out().contains("\"nodes_removed\": 3,"), json.out());
        var md = ConvertCommandTest.tailor("diff", in.toString(), out.toString(), "--format", "markdown");
        assertTrue(md.out().contains("| Identity | 1 | 0 | 0 | 1 | 0 |"), md.out());
        Path html = dir.resolve("diff.html");
        var h = ConvertCommandTest.tailor("diff", in.toString(), out.toString(), "-o", html.toString());
        assertEquals(0, h.code(), h.err());
        assertEquals("", h.out());
        assertTrue(read(html).startsWith("<!DOCTYPE html>"));
        var bad = ConvertCommandTest.tailor("diff", in.toString(), out.toString(), "--format", "yaml");
        assertEquals(ExitCodes.BAD_INPUT, bad.code());
        assertTrue(bad.err().contains("unknown report format 'yaml' (formats: text, json, markdown, html)"), bad.err());
    }

    @Test
    void compileWritesAReportByExtension() {
        Path in = model();
        Path out = dir.resolve("out.onnx");
        Path md = dir.resolve("report.md");
        var r = ConvertCommandTest.tailor("compile", in.toString(), "-p", "fixpoint { identity | cse | dce }", "-o",
                out.toString(), "--report", md.toString());
        assertEquals(0, r.code(), r.err());
        String m = read(md);
        assertTrue(m.contains("| nodes | 5 | 2 | -60.0% |"), m);
        assertTrue(m.contains("Pipeline: `fixpoint { identity | cse | dce }`"), m);
        assertTrue(m.contains("| cse | "), m);
        Path json = dir.resolve("report.json");
        ConvertCommandTest.tailor("compile", in.toString(), "-p", "dce", "-o", out.toString(), "--report",
                json.toString());
        assertTrue(read(json).contains("\"pass\": \"dce\""), read(json));
        var bad = ConvertCommandTest.tailor("compile", in.toString(), "-p", "dce", "-o", dir.resolve("x.onnx").toString(),
                "--report", dir.resolve("report.pdf").toString());
        assertEquals(ExitCodes.BAD_INPUT, bad.code());
        assertTrue(bad.err().contains("report.pdf: the report format follows the extension"), bad.err());
        assertFalse(Files.exists(dir.resolve("x.onnx")), "refused before running");
    }

    @Test
    void completionForBash() {
        var r = ConvertCommandTest.tailor("completion", "bash");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("complete -F _complete_tailor"), r.out().substring(0, 200));
        assertTrue(r.out().contains("diff"), "subcommands are completed");
        assertEquals(ExitCodes.BAD_INPUT, ConvertCommandTest.tailor("completion", "fish").code());
    }

    // End to end: the command in its own JVM, as the ./tailor launcher starts it (java -cp ... dev.tailor.cli.Main),
    // from the repository root, on real files.

    record Proc(int code, String out, String err) {}

    private Proc launch(String... args) throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !(Files.exists(root.resolve("tailor")) && Files.exists(root.resolve("pom.xml"))))
            root = root.getParent();
        assertTrue(root != null, "the repository root (with ./tailor) is above the working directory");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.tailor.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(false).start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Proc(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void endToEnd() throws Exception {
        Path in = model();
        Path out = cleaned(in);
        Proc ok = launch("diff", in.toString(), out.toString(), "--format", "markdown");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().startsWith("### Tailor diff: `" + in + "` → `" + out + "`"), ok.out());

        Proc missing = launch("diff", dir.resolve("nope.onnx").toString(), out.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().startsWith("tailor: error: ") && missing.err().contains("nope.onnx"), missing.err());
        assertEquals("", missing.out());

        Path notOnnx = dir.resolve("notes.onnx");
        Files.writeString(notOnnx, "this is not a model\n");
        Proc garbage = launch("diff", notOnnx.toString(), out.toString());
        assertEquals(2, garbage.code());
        assertTrue(garbage.err().startsWith("tailor: error: ") && garbage.err().contains("notes.onnx"), garbage.err());
        assertFalse(garbage.err().contains("Exception"), garbage.err());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
