package dev.tailor.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.tailor.onnx.proto.OnnxProto.GraphProto;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.NodeProto;
import dev.tailor.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.tailor.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import dev.tailor.onnx.proto.OnnxProto.TensorShapeProto;
import dev.tailor.onnx.proto.OnnxProto.TypeProto;
import dev.tailor.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of bad input raises one ModelFormatException that names the file, the element and the problem. */
class BadInputTest {
    @TempDir
    Path dir;

    static ValueInfoProto floatInput(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
    }

    static NodeProto node(String name, String op, String[] in, String... out) {
        return NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(Arrays.asList(in))
                .addAllOutput(Arrays.asList(out)).build();
    }

    static ModelProto model(GraphProto.Builder g) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(g.setName("g")).build();
    }

    static GraphProto.Builder validGraph() {
        return GraphProto.newBuilder().addInput(floatInput("x", 2))
                .addNode(node("neg", "Neg", new String[] {"x"}, "y"))
                .addOutput(floatInput("y", 2));
    }

    private Path save(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private ModelFormatException fails(Path p) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(p));
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), "message names the file: " + e.getMessage());
        return e;
    }

    private static void says(ModelFormatException e, String... parts) {
        for (String part : parts) assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
    }

    @Test
    void aValidModelReads() throws IOException {
        Path p = save("ok.onnx", model(validGraph()).toByteArray());
        assertEquals(1, OnnxReader.read(p).graph().nodeCount());
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] full = model(validGraph()).toByteArray();
        Path p = save("cut.onnx", Arrays.copyOf(full, full.length - 7));
        says(fails(p), "truncated");
    }

    @Test
    void bytesThatAreNotOnnx() throws IOException {
        says(fails(save("empty.onnx", new byte[0])), "empty");
        says(fails(save("text.onnx", "<ir_version: 8>\ngraph (float[2] x) => (float[2] y) {}".getBytes())),
                "not an ONNX");
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
        says(fails(save("image.onnx", png)), "not an ONNX model");
        says(fails(save("plain.onnx", "just some words".getBytes())), "not an ONNX binary model", "text");
        says(fails(dir.resolve("absent.onnx")), "no such file");
        says(fails(dir), "folder");
    }

    @Test
    void wrongWireType() throws IOException {
        // Field 7 (graph) must be length-delimited; here it is a varint.
        byte[] bytes = {0x08, 0x08, 0x38, 0x01};
        says(fails(save("wire.onnx", bytes)), "'graph'", "wrong wire type");
    }

    @Test
    void negativeAndOverflowingDimensions() throws IOException {
        TensorProto neg = TensorProto.newBuilder().setName("w").setDataType(1).addDims(-3).build();
        says(fails(save("neg.onnx", model(validGraph().addInitializer(neg)).toByteArray())),
                "initializer 'w'", "negative");
        TensorProto huge = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1L << 40).addDims(1L << 40)
                .setRawData(ByteString.copyFrom(new byte[4])).build();
        says(fails(save("huge.onnx", model(validGraph().addInitializer(huge)).toByteArray())),
                "initializer 'w'", "more elements");
        GraphProto.Builder g = validGraph().setInput(0, floatInput("x", -1));
        says(fails(save("negtype.onnx", model(g).toByteArray())), "value 'x'", "negative");
    }

    @Test
    void dataThatDoesNotMatchTheShape() throws IOException {
        TensorProto t = TensorProto.newBuilder().setName("w").setDataType(1).addDims(4)
                .setRawData(ByteString.copyFrom(new byte[12])).build();
        says(fails(save("short.onnx", model(validGraph().addInitializer(t)).toByteArray())),
                "initializer 'w'", "12 bytes", "needs 16");
    }

    private Path externalModel(String location, long offset, long length) throws IOException {
        TensorProto.Builder t = TensorProto.newBuilder().setName("w").setDataType(1).addDims(4)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("" + offset))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("" + length));
        Path modelDir = Files.createDirectories(dir.resolve("model"));
        Path p = modelDir.resolve("ext.onnx");
        Files.write(p, model(validGraph().addInitializer(t)).toByteArray());
        return p;
    }

    @Test
    void externalDataThatIsMissingOrOutOfBounds() throws IOException {
        Path p = externalModel("weights.bin", 0, 16);
        says(fails(p), "initializer 'w'", "'weights.bin' not found");
        Files.write(p.resolveSibling("weights.bin"), new byte[20]);
        assertEquals(16, OnnxReader.read(p).graph().initializers().get(0).initializer().byteSize());

        says(fails(externalModel("weights.bin", 8, 16)), "beyond the end", "20 bytes");
        says(fails(externalModel("weights.bin", 0, 12)), "12 bytes", "need 16");
    }

    @Test
    void externalDataOutsideTheModelFolder() throws IOException {
        Files.write(dir.resolve("secret.bin"), new byte[16]);
        says(fails(externalModel("../secret.bin", 0, 16)), "initializer 'w'", "leaves the model's folder");
        says(fails(externalModel(dir.resolve("secret.bin").toString(), 0, 16)), "is absolute");
        Path link = dir.resolve("model").resolve("link.bin");
        Files.createSymbolicLink(link, dir.resolve("secret.bin"));
        says(fails(externalModel("link.bin", 0, 16)), "symbolic link");
    }

    @Test
    void cycle() throws IOException {
        GraphProto.Builder g = GraphProto.newBuilder().addInput(floatInput("x", 2))
                .addNode(node("first", "Add", new String[] {"x", "b"}, "a"))
                .addNode(node("second", "Neg", new String[] {"a"}, "b"))
                .addOutput(floatInput("b", 2));
        says(fails(save("cycle.onnx", model(g).toByteArray())), "cycle", "'first' (Add)", "'second' (Neg)");
    }

    @Test
    void useOfAnUndefinedValue() throws IOException {
        GraphProto.Builder g = GraphProto.newBuilder().addInput(floatInput("x", 2))
                .addNode(node("add", "Add", new String[] {"x", "bias"}, "y"))
                .addOutput(floatInput("y", 2));
        says(fails(save("undef.onnx", model(g).toByteArray())), "node 'add' (Add)", "input 1", "'bias'");
        GraphProto.Builder g2 = validGraph().setOutput(0, floatInput("z", 2));
        says(fails(save("noout.onnx", model(g2).toByteArray())), "output 'z'");
    }

    @Test
    void valueDefinedTwice() throws IOException {
        GraphProto.Builder g = validGraph().addNode(node("again", "Abs", new String[] {"x"}, "y"));
        says(fails(save("twice.onnx", model(g).toByteArray())), "'y' is defined twice");
    }

    @Test
    void outOfOrderNodesAreSortedNotRejected() throws IOException {
        GraphProto.Builder g = GraphProto.newBuilder().addInput(floatInput("x", 2))
                .addNode(node("second", "Neg", new String[] {"a"}, "y"))
                .addNode(node("first", "Abs", new String[] {"x"}, "a"))
                .addOutput(floatInput("y", 2));
        var m = OnnxReader.read(save("unsorted.onnx", model(g).toByteArray()));
        assertEquals("first", m.graph().firstNode().name());
    }

    @Test
    void theInputIsNeverModified() throws IOException {
        Path p = save("same.onnx", model(validGraph()).toByteArray());
        byte[] before = Files.readAllBytes(p);
        var m = OnnxReader.read(p);
        OnnxWriter.write(m, dir.resolve("copy.onnx"));
        assertTrue(Arrays.equals(before, Files.readAllBytes(p)));
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            assertEquals(before.length, f.length());
        }
    }

    @Test
    void aSequenceIsNotReadAsATensor() {
        Path seq = Path.of("/usr/share/libonnx-testdata/data/node/test_identity_sequence/test_data_set_0/input_0.pb");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.readTensor(seq));
        says(e, "SequenceProto");
        Path opt = Path.of("/usr/share/libonnx-testdata/data/node/test_identity_opt/test_data_set_0/input_0.pb");
        says(assertThrows(ModelFormatException.class, () -> OnnxReader.readTensor(opt)), "OptionalProto");
    }
}
