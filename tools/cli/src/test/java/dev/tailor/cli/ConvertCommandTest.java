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
import dev.tailor.compiler.text.TextReader;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConvertCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run tailor(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path smallModel() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 4));
        float[] w = new float[1024];
        for (int i = 0; i < w.length; i++) w[i] = i;
        b.output(b.op("Add", x, b.initializer(Tensor.ofFloats("w", new long[] {4}, 1, 2, 3, 4))),
                b.initializer(Tensor.ofFloats("big", new long[] {1024}, w)));
        Path p = dir.resolve("in.onnx");
        OnnxWriter.write(Model.of(b.build(), 17), p);
        return p;
    }

    @Test
    void convertsWithExternalData() {
        Path in = smallModel();
        Path out = dir.resolve("out.onnx");
        Run r = tailor("convert", in.toString(), out.toString(), "--external-data-threshold", "1K");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + out), r.out());
        assertTrue(r.out().contains("out.onnx.data (1 tensors"), r.out());
        assertEquals("", r.err());
        assertEquals(1024, OnnxReader.read(out).graph().initializers().get(1).initializer().elementCount());
    }

    @Test
    void aBadModelIsOneLineAndNoOutput() throws IOException {
        Path in = dir.resolve("bad.onnx");
        Files.write(in, new byte[] {0x08, 0x08, 0x38, 0x01});
        Path out = dir.resolve("out.onnx");
        Run r = tailor("convert", in.toString(), out.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals("tailor: error: " + in + ": model: field 'graph' (number 7) of ModelProto has the wrong wire type"
                + " for a message; the file is corrupt or not ONNX\ntailor: hint: Tailor reads binary ONNX (.onnx, external data beside it), ONNX text (.onnxtxt) and bundled "
                + "models (@minilm, @minilm-q); check the path and that the file is complete", r.err().strip());
        assertFalse(Files.exists(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "nothing written");
        }
    }

    @Test
    void usageErrors() {
        assertEquals(ExitCodes.BAD_INPUT, tailor("convert").code());
        Run r = tailor("convert", "x.onnx", "y.onnx", "--external-data-threshold", "lots");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().contains("'lots' is not a size in bytes"), r.err());
        Run z = tailor("convert", "@nope", "y.onnx");
        assertEquals(ExitCodes.BAD_INPUT, z.code());
        assertTrue(z.err().contains("bundled models: @minilm"), z.err());
        assertEquals(ExitCodes.BAD_INPUT, tailor("frobnicate").code());
    }

    @Test
    void missingInput() {
        Run r = tailor("convert", dir.resolve("none.onnx").toString(), dir.resolve("o.onnx").toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().lines().findFirst().orElseThrow().endsWith("none.onnx: no such file"), r.err());
    }

    @Test
    void binaryToTextAndBackIsLossless() throws IOException {
        Path in = smallModel();
        Path text = dir.resolve("model.onnxtxt");
        Run r = tailor("convert", in.toString(), text.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + text + " ("), r.out());
        assertTrue(r.out().strip().endsWith(" from " + in), r.out());
        String written = Files.readString(text);
        assertTrue(written.contains("float[4] w = {1.0, 2.0, 3.0, 4.0}"), written);
        assertFalse(Files.exists(dir.resolve("model.onnxtxt.data")), "no side file without --max-inline-bytes");

        Path back = dir.resolve("back.onnx");
        Run b = tailor("convert", text.toString(), back.toString());
        assertEquals(0, b.code(), b.err());
        assertEquals(ModelProto.parseFrom(Files.readAllBytes(in)), ModelProto.parseFrom(Files.readAllBytes(back)));
    }

    @Test
    void largeTensorsLeaveTheTextForASideFile() throws IOException {
        Path in = smallModel();
        Path text = dir.resolve("model.onnxtxt");
        Run r = tailor("convert", in.toString(), text.toString(), "--max-inline-bytes", "1K");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(" + model.onnxtxt.data (1 tensors, 4.0 KiB)"), r.out());
        assertTrue(Files.readString(text).contains("float[1024] big = [\"location\": \"model.onnxtxt.data\""));
        Path back = dir.resolve("back.onnx");
        assertEquals(0, tailor("convert", text.toString(), back.toString()).code());
        assertEquals(ModelProto.parseFrom(Files.readAllBytes(in)), ModelProto.parseFrom(Files.readAllBytes(back)));
        assertEquals(1024, TextReader.read(text).graph().initializers().get(1).initializer().elementCount());
    }

    @Test
    void aTextWithAnErrorIsReportedWithItsLineAndColumn() throws IOException {
        Path text = dir.resolve("bad.onnxtxt");
        Files.writeString(text, "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float x) => (float y) {\n"
                + "  y = Add (x, bias)\n}\n");
        Path out = dir.resolve("out.onnx");
        Run r = tailor("convert", text.toString(), out.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals("tailor: error: " + text + ":3:15: 'bias' is not defined: no node, graph input or initializer "
                + "computes it\n    y = Add (x, bias)\n                ^\ntailor: hint: Tailor reads binary ONNX (.onnx, external data beside it), ONNX text (.onnxtxt) and bundled "
                + "models (@minilm, @minilm-q); check the path and that the file is complete", r.err().strip());
        assertFalse(Files.exists(out));
    }

    @Test
    void sizeOptionsMatchTheOutputFormat() {
        Run t = tailor("convert", "x.onnx", dir.resolve("y.onnxtxt").toString(), "--external-data-threshold", "1K");
        assertEquals(ExitCodes.BAD_INPUT, t.code());
        assertTrue(t.err().contains("--external-data-threshold applies to binary output; for text output (.onnxtxt), "
                + "--max-inline-bytes leaves large tensors out of the text"), t.err());
        Run b = tailor("convert", "x.onnx", dir.resolve("y.onnx").toString(), "--max-inline-bytes", "1K");
        assertEquals(ExitCodes.BAD_INPUT, b.code());
        assertTrue(b.err().contains("--max-inline-bytes applies to text output (.onnxtxt)"), b.err());
    }

    @Test
    void byteSizes() {
        ByteSize s = new ByteSize();
        assertEquals(1024L, s.convert("1K"));
        assertEquals(1L << 20, s.convert("1MiB"));
        assertEquals(3L << 30, s.convert("3g"));
        assertEquals(17L, s.convert("17"));
    }
}
