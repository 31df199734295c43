package dev.tailor.compiler.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.TextFormat;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.onnx.ProtoDiff;
import dev.tailor.onnx.proto.OnnxProto.FunctionProto;
import dev.tailor.onnx.proto.OnnxProto.GraphProto;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.NodeProto;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the reader builds from the constructs of the current onnx syntax that Debian's onnx 1.12 cannot parse (so
 * they are checked against messages written out here, following onnx's parser.cc), and from Tailor's annotations.
 */
class TextReaderTest {
    private static final String H = "<ir_version: 10, opset_import: [\"\" : 21]>\n";

    @TempDir
    Path dir;

    private static <T extends com.google.protobuf.Message> T proto(String text, T.Builder b) throws Exception {
        TextFormat.getParser().merge(text, b);
        @SuppressWarnings("unchecked") T t = (T) b.build();
        return t;
    }

    private static void assertSame(com.google.protobuf.Message expected, com.google.protobuf.Message actual) {
        assertNull(ProtoDiff.firstDifference(expected, actual), () -> "expected\n" + expected + "got\n" + actual);
    }

    @Test
    void nodeLabelsQuotedNamesEscapesAndOverloads() throws Exception {
        GraphProto g = TextReader.parse(H + """
                "my graph" (float[N] "input.1", float[N] "x") => (float[N] "out:0") {
                  [first] "a b" = Relu ("input.1")
                  [] c = local.Op:v2 ("a b", x)
                  ["the \\"last\\""] "out:0" = Add <s: string = "quote \\" backslash \\\\"> (c, )
                }
                """, null).getGraph();
        assertEquals("my graph", g.getName());
        assertSame(proto("""
                input: "a b" input: "x" output: "c" name: "" op_type: "Op" domain: "local" overload: "v2"
                """, NodeProto.newBuilder()), g.getNode(1));
        assertEquals("first", g.getNode(0).getName());
        assertEquals("the \"last\"", g.getNode(2).getName());
        assertEquals("quote \" backslash \\", g.getNode(2).getAttribute(0).getS().toStringUtf8());
        assertEquals(1, g.getNode(2).getInputCount(), "a trailing empty place is no input");
    }

    @Test
    void omittedValuesAtEitherEnd() {
        NodeProto n = TextReader.parse(H + "g (float x) => (float y) {\n  y, \"\" = Op (, x, , \"\")\n}\n", null)
                .getGraph().getNode(0);
        assertEquals(java.util.List.of("", "x", "", ""), n.getInputList());
        assertEquals(java.util.List.of("y", ""), n.getOutputList());
    }

    @Test
    void specialFloatsTypedAttributesAndTypeAttributes() throws Exception {
        NodeProto n = TextReader.parse(H + """
                g (float x) => (float y) {
                  y = Op <a: float = 1, b = -inf, c = NaN, d: floats = [1, 2.5, Infinity], e: ints = [],
                          t: type_proto = seq(float[N]), u = optional(int64), z: graph = []> (x)
                }
                """, null).getGraph().getNode(0);
        assertSame(proto("""
                input: "x" output: "y" op_type: "Op" domain: ""
                attribute { name: "a" f: 1.0 type: FLOAT }
                attribute { name: "b" f: -inf type: FLOAT }
                attribute { name: "c" f: nan type: FLOAT }
                attribute { name: "d" floats: [1.0, 2.5, inf] type: FLOATS }
                attribute { name: "e" type: INTS }
                attribute { name: "t" type: TYPE_PROTO tp { sequence_type { elem_type { tensor_type { elem_type: 1
                    shape { dim { dim_param: "N" } } } } } } }
                attribute { name: "u" type: TYPE_PROTO tp { optional_type { elem_type { tensor_type { elem_type: 7
                    shape { } } } } } }
                attribute { name: "z" type: GRAPH }
                """, NodeProto.newBuilder()), n);
    }

    @Test
    void functionsWithTypedParametersValueInfosDefaultsAndOverloads() throws Exception {
        FunctionProto f = TextReader.parse(H + """
                g (float x) => (float y) { y = local.f (x) }
                <domain: "local", opset_import: ["" : 21], overload: "fast">
                f <alpha: float = 0.5, beta> (float[N] "in", k) => (out) <float[N] t>
                {
                  t = Mul <scale: float = @alpha> ("in", "in")
                  out = Identity (t)
                }
                """, null).getFunctions(0);
        assertSame(proto("""
                name: "f" input: "in" input: "k" output: "out" attribute: "beta"
                attribute_proto { name: "alpha" f: 0.5 type: FLOAT }
                node { input: "in" input: "in" output: "t" op_type: "Mul" domain: ""
                       attribute { name: "scale" ref_attr_name: "alpha" type: FLOAT } }
                node { input: "t" output: "out" op_type: "Identity" domain: "" }
                opset_import { domain: "" version: 21 } domain: "local" overload: "fast"
                value_info { name: "in" type { tensor_type { elem_type: 1 shape { dim { dim_param: "N" } } } } }
                value_info { name: "t" type { tensor_type { elem_type: 1 shape { dim { dim_param: "N" } } } } }
                """, FunctionProto.newBuilder()), f);
    }

    @Test
    void opaqueAndQuotedDimensions() throws Exception {
        GraphProto g = TextReader.parse(H + """
                g (opaque(com.x, Thing) a, opaque(Thing) b, opaque() c, float["batch size", ?, 3] d) => (d) { }
                """, null).getGraph();
        assertEquals("domain: \"com.x\" name: \"Thing\"", TextFormat.shortDebugString(
                g.getInput(0).getType().getOpaqueType()));
        assertFalse(g.getInput(1).getType().getOpaqueType().hasDomain());
        assertFalse(g.getInput(2).getType().getOpaqueType().hasName());
        assertEquals("batch size", g.getInput(3).getType().getTensorType().getShape().getDim(0).getDimParam());
    }

    @Test
    void externalDataWithoutAnnotationStaysExternal() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putFloat(1).putFloat(2).putFloat(3).putFloat(4);
        Files.write(dir.resolve("w.bin"), b.array());
        String text = H + """
                g (float[4] x) => (float[4] y)
                <float[4] w = ["location": "w.bin", "offset": "0", "length": "16"]>
                { y = Add (x, w) }
                """;
        Path file = dir.resolve("m.onnxtxt");
        Files.writeString(file, text);
        TensorProto w = TextReader.parse(text, file).getGraph().getInitializer(0);
        assertEquals(TensorProto.DataLocation.EXTERNAL, w.getDataLocation());
        Model m = TextReader.read(file);
        assertTrue(m.graph().initializers().get(0).initializer().data() instanceof MappedData);
        assertEquals(3f, m.graph().initializers().get(0).initializer().toFloats()[2]);
        // With #!raw the model holds the data: it is read from the file into raw_data.
        Files.writeString(file, text.replace("<float[4] w", "<\n#!raw\nfloat[4] w"));
        TensorProto embedded = OnnxWriter.toProto(TextReader.read(file)).getGraph().getInitializer(0);
        assertFalse(embedded.hasDataLocation());
        assertEquals(16, embedded.getRawData().size());
    }

    @Test
    void annotationsAndDefaults() throws Exception {
        ModelProto m = TextReader.parse(H + """
                #!default raw, no-domain, no-tensor-name
                g (float[2] x) => (float[2] y)
                <
                  float[2] a = {1, 2},
                  #!typed
                  float[2] b = {3, 4}
                >
                {
                  #! domain: "" doc_string: "keeps its empty domain"
                  t = Add (x, a)
                  c = Constant <value = float[2] {5, 6}> ()
                  #!unset op_type
                  y = Sum (t, b, c)
                }
                #! doc_string: "the model"
                """, null);
        GraphProto g = m.getGraph();
        assertEquals(8, g.getInitializer(0).getRawData().size());
        assertEquals(2, g.getInitializer(1).getFloatDataCount());
        assertTrue(g.getNode(0).hasDomain());
        assertEquals("keeps its empty domain", g.getNode(0).getDocString());
        TensorProto c = g.getNode(1).getAttribute(0).getT();
        assertFalse(c.hasName());
        assertEquals(8, c.getRawData().size());
        assertFalse(g.getNode(1).hasDomain());
        assertFalse(g.getNode(2).hasOpType());
        assertEquals("the model", m.getDocString());
        // As onnx reads the same text: no annotations.
        ModelProto onnx = TextReader.parseAsOnnx(TextWriter.toText(m));
        assertEquals(2, onnx.getGraph().getInitializer(0).getFloatDataCount());
        assertTrue(onnx.getGraph().getNode(1).hasDomain());
        assertEquals("the model", onnx.getDocString(), "the writer puts it in the header, which onnx reads");
    }

    /** The example of README.md reads, and is what the writer prints for the model it denotes. */
    @Test
    void theReadmeExampleReads() throws Exception {
        String text = """
                <
                  ir_version: 8,
                  opset_import: ["" : 17],
                  producer_name: "pytorch"
                >
                #!default raw, no-domain
                main_graph (float[batch,4] x) => (float[batch,4] y)
                <
                  float[4] bias = {0.5, -1.0, 2.25, 1e-7},
                  #!raw
                  float[4,4] w = ["location": "model.onnxtxt.data", "offset": "0", "length": "64"]
                >
                {
                  #! doc_string: "the projection"
                  t = MatMul (x, w)
                  y = Add (t, bias)
                }
                """;
        Path file = dir.resolve("model.onnxtxt");
        Files.writeString(file, text);
        Files.write(dir.resolve("model.onnxtxt.data"), new byte[64]);
        ModelProto m = OnnxWriter.toProto(TextReader.read(file));
        assertEquals(64, m.getGraph().getInitializer(1).getRawData().size());
        assertEquals(1e-7f, m.getGraph().getInitializer(0).getRawData().asReadOnlyByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN).getFloat(12));
        assertEquals("the projection", m.getGraph().getNode(0).getDocString());
        assertFalse(m.getGraph().getNode(0).hasDomain());
        Path again = dir.resolve("again.onnxtxt");
        TextWriter.write(TextReader.read(file), again, new TextWriter.Options(32L, "model.onnxtxt.data.2"));
        assertEquals(text.replace("model.onnxtxt.data", "model.onnxtxt.data.2"), Files.readString(again));
    }

    @Test
    void theIrReadsTextAndWritesTheSameBinary() {
        String text = SyntaxExamplesTest.EXAMPLES.get("loop with outer-scope values");
        Model m = TextReader.read(text);
        assertEquals(2, m.graph().nodeCount());
        assertSame(TextReader.parse(text, null), OnnxWriter.toProto(m));
    }
}
