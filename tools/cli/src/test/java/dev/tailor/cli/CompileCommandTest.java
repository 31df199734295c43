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
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompileCommandTest {
    @TempDir
    Path dir;

    private Path model() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 4));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {4}, 1, 2, 3, 4));
        Value dup = b.initializer(Tensor.ofFloats("w2", new long[] {4}, 1, 2, 3, 4));
        b.op("Neg", x); // dead
        b.output(b.op("Add", b.op("Identity", b.op("Mul", x, w)), b.op("Mul", x, dup)));
        Path p = dir.resolve("in.onnx");
        OnnxWriter.write(Model.of(b.build(), 17), p);
        return p;
    }

    @Test
    void compilesWithAPipeline() {
        Path out = dir.resolve("out.onnx");
        var r = ConvertCommandTest.tailor("compile", model().toString(), "-p", "fixpoint { identity | cse | dce }",
                "-o", out.toString(), "--verify-each");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + out), r.out());
        assertTrue(r.out().contains("5 -> 2 nodes"), r.out());
        assertTrue(r.err().contains("cse"), "per-pass lines go to stderr: " + r.err());
        assertEquals(2, OnnxReader.read(out).graph().nodeCount());
    }

    @Test
    void aPipelineFileWithATypo() throws IOException {
        Path file = dir.resolve("clean.pipeline");
        Files.writeString(file, "# cleanup\nidentity\ncsee\n");
        Path out = dir.resolve("out.onnx");
        var r = ConvertCommandTest.tailor("compile", model().toString(), "--pipeline-file", file.toString(),
                "-o", out.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals("tailor: error: " + file + ":3:1: unknown pass 'csee'; did you mean 'cse'? (tailor passes lists "
                + "them)\n  csee\n  ^\ntailor: hint: 'tailor passes' lists every pass with its options; 'tailor "
                + "compile --help' shows pipeline examples", r.err().strip());
        assertFalse(Files.exists(out));
    }

    @Test
    void dataOptionsThatWouldBeIgnoredAreUsageErrors() {
        Path out = dir.resolve("out.onnx");
        var r = ConvertCommandTest.tailor("compile", model().toString(), "-p", "dce", "-o", out.toString(), "--inputs",
                "x.npy");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals("tailor: error: --inputs gives the validation's inputs, but there is no --validate\n"
                + "tailor: hint: add --validate, or give calibration data with --calibration", r.err().strip());
        var lines = ConvertCommandTest.tailor("compile", model().toString(), "-p", "dce", "-o", out.toString(),
                "--calibration-lines", "1..16");
        assertEquals(ExitCodes.BAD_INPUT, lines.code());
        assertTrue(lines.err().startsWith("tailor: error: --calibration-lines picks lines of --calibration"), lines.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void passesListsTheirOptions() {
        var r = ConvertCommandTest.tailor("passes");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("dce        remove unused nodes"), r.out());
        assertTrue(r.out().contains("max_bytes=1048576"), r.out());
        var j = ConvertCommandTest.tailor("passes", "--json");
        assertTrue(j.out().startsWith("{\n  \"passes\": ["), j.out());
        assertTrue(j.out().contains("\"name\": \"fold\""), j.out());
        var md = ConvertCommandTest.tailor("passes", "--markdown");
        assertTrue(md.out().contains("## `cse`"), md.out());
        assertTrue(md.out().contains("| `max_bytes` | int in [0, ∞] | `1048576` |"), md.out());
    }
}
