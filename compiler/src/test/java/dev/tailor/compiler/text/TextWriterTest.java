package dev.tailor.compiler.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.onnx.ProtoDiff;
import dev.tailor.onnx.proto.OnnxProto.AttributeProto;
import dev.tailor.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.tailor.onnx.proto.OnnxProto.DeviceConfigurationProto;
import dev.tailor.onnx.proto.OnnxProto.FunctionProto;
import dev.tailor.onnx.proto.OnnxProto.GraphProto;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.NodeProto;
import dev.tailor.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.tailor.onnx.proto.OnnxProto.SparseTensorProto;
import dev.tailor.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.tailor.onnx.proto.OnnxProto.TensorAnnotation;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import dev.tailor.onnx.proto.OnnxProto.TensorShapeProto;
import dev.tailor.onnx.proto.OnnxProto.TrainingInfoProto;
import dev.tailor.onnx.proto.OnnxProto.TypeProto;
import dev.tailor.onnx.proto.OnnxProto.ValueInfoProto;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text writer: exact numbers, every element type, everything the syntax cannot say, the side file. */
class TextWriterTest {
    @TempDir
    Path dir;

    /** Prints {@code m}, reads it back and requires the same model, field by field; returns the text. */
    private static String roundTrip(ModelProto m) {
        String text = TextWriter.toText(m);
        String diff = ProtoDiff.firstDifference(m, TextReader.parse(text, null));
        assertNull(diff, () -> "differs at " + diff + " in:\n" + text);
        return text;
    }

    private static ModelProto model(GraphProto.Builder g) {
        return ModelProto.newBuilder().setIrVersion(10).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("")
                .setVersion(21)).setGraph(g).build();
    }

    private static ValueInfoProto input(String name, int elem, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(elem).setShape(s))).build();
    }

    // ---------------------------------------------------------------- numbers

    @Test
    void floatsArePrintedAsTheShortestDecimalThatReadsBackExactly() {
        assertEquals("0.1", Numbers.formatFloat(0.1f));
        assertEquals("0.33333334", Numbers.formatFloat(1f / 3));
        assertEquals("1.0", Numbers.formatFloat(1f));
        assertEquals("-0.0", Numbers.formatFloat(-0f));
        assertEquals("1e-7", Numbers.formatFloat(1e-7f));
        assertEquals("3.4028235e38", Numbers.formatFloat(Float.MAX_VALUE));
        assertEquals("1e-45", Numbers.formatFloat(Float.MIN_VALUE)); // Java prints 1.4E-45
        assertEquals("123456790.0", Numbers.formatFloat(123456789f));
        assertEquals("inf", Numbers.formatFloat(Float.POSITIVE_INFINITY));
        assertEquals("-inf", Numbers.formatFloat(Float.NEGATIVE_INFINITY));
        assertEquals("nan", Numbers.formatFloat(Float.NaN));
        assertEquals("-nan", Numbers.formatFloat(Float.intBitsToFloat(0xffc00000)));
        assertFalse(Numbers.printable(Float.intBitsToFloat(0x7fc00001)), "a NaN payload has no decimal form");
        // Java 17 prints this double with two digits too many
        assertEquals("2.82879384806159e17", Numbers.formatDouble(2.82879384806159E17));
        assertEquals("5e-324", Numbers.formatDouble(Double.MIN_VALUE));
        assertEquals("0.1", Numbers.formatDouble(0.1));
    }

    @Test
    void randomFloatsAndDoublesReadBackBitForBitAndNoShorterDecimalWould() {
        Random r = new Random(42);
        for (int i = 0; i < 100_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (!Numbers.printable(f)) continue;
            String s = Numbers.formatFloat(f);
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(Numbers.parseFloat(s)), s);
            double d = Double.longBitsToDouble(r.nextLong());
            if (!Numbers.printable(d)) continue;
            String t = Numbers.formatDouble(d);
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits(Numbers.parseDouble(t)), t);
        }
        // Shortest: no decimal with fewer significant digits reads back to the same value.
        for (int i = 0; i < 2_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(f) || Float.isInfinite(f) || f == 0) continue;
            int digits = significantDigits(Numbers.formatFloat(f));
            for (int p = 1; p < digits; p++) {
                float back = new BigDecimal(f).round(new MathContext(p)).floatValue();
                assertFalse(back == f, f + " has a " + p + "-digit form, but was printed " + Numbers.formatFloat(f));
            }
            double d = r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20); // exact BigDecimals stay short
            if (d == 0) continue;
            int dd = significantDigits(Numbers.formatDouble(d));
            for (int p = 1; p < dd; p++) {
                double back = new BigDecimal(d).round(new MathContext(p)).doubleValue();
                assertFalse(back == d, d + " has a " + p + "-digit form, but was printed " + Numbers.formatDouble(d));
            }
        }
    }

    private static int significantDigits(String s) {
        String m = s.replace("-", "");
        int e = m.indexOf('e');
        if (e >= 0) m = m.substring(0, e);
        m = m.replace(".", "").replaceFirst("^0+", "").replaceFirst("0+$", "");
        return Math.max(1, m.length());
    }

    // ---------------------------------------------------------------- element types

    @Test
    void everyElementTypeRoundTripsRawAndTyped() {
        Random r = new Random(7);
        GraphProto.Builder g = GraphProto.newBuilder().setName("types");
        NodeProto.Builder sum = NodeProto.newBuilder().setOpType("Identity").addOutput("y");
        for (DataType t : DataType.values()) {
            if (t == DataType.UNDEFINED) continue;
            long[] dims = {2, 3};
            String name = t.name().toLowerCase();
            if (t == DataType.STRING) {
                TensorProto.Builder s = TensorProto.newBuilder().setName(name).setDataType(t.code()).addDims(2).addDims(3);
                for (String v : List.of("a", "quote \" and \\", "new\nline", "ünïcödé ✓", "", "#!raw"))
                    s.addStringData(ByteString.copyFromUtf8(v));
                g.addInitializer(s);
                continue;
            }
            byte[] raw = new byte[(int) t.byteSize(6)];
            r.nextBytes(raw);
            if (t.isFloatingPoint() && t.bits() >= 32) sanitizeNaNs(raw, t);
            g.addInitializer(TensorProto.newBuilder().setName(name + "_raw").setDataType(t.code()).addDims(2).addDims(3)
                    .setRawData(ByteString.copyFrom(raw)));
            TensorProto.Builder typed = TensorProto.newBuilder().setName(name + "_typed").setDataType(t.code())
                    .addDims(dims[0]).addDims(dims[1]);
            TensorValues.rawToTyped(ByteBuffer.wrap(raw), t, typed);
            g.addInitializer(typed);
        }
        g.addNode(sum.addInput("float_raw"));
        g.addOutput(input("y", 1, 2, 3));
        String text = roundTrip(model(g));
        assertTrue(text.contains("float8e4m3fnuz[2,3] float8e4m3fnuz_raw = {"), text);
        assertTrue(text.contains("int2[2,3] int2_typed = {"), text);
        assertTrue(text.contains("\"quote \\\" and \\\\\""), text);
        // And the same through the IR.
        ModelProto back = OnnxWriter.toProto(TextReader.read(text));
        assertNull(ProtoDiff.firstDifference(model(g), back));
    }

    /** Replaces NaNs with payloads (which only an annotation can carry) so that the values print as numbers. */
    private static void sanitizeNaNs(byte[] raw, DataType t) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (t == DataType.DOUBLE || t == DataType.COMPLEX128) {
            for (int i = 0; i + 8 <= raw.length; i += 8) if (Double.isNaN(b.getDouble(i))) b.putDouble(i, 1.5);
        } else {
            for (int i = 0; i + 4 <= raw.length; i += 4) if (Float.isNaN(b.getFloat(i))) b.putFloat(i, 1.5f);
        }
    }

    @Test
    void specialFloatsAndNaNPayloads() {
        float payload = Float.intBitsToFloat(0x7f800001);
        GraphProto.Builder g = GraphProto.newBuilder().setName("g")
                .addInitializer(TensorProto.newBuilder().setName("special").setDataType(1).addDims(5)
                        .addFloatData(Float.NaN).addFloatData(Float.intBitsToFloat(0xffc00000))
                        .addFloatData(Float.POSITIVE_INFINITY).addFloatData(Float.NEGATIVE_INFINITY)
                        .addFloatData(Float.MIN_VALUE))
                .addInitializer(TensorProto.newBuilder().setName("payload").setDataType(1).addDims(1)
                        .addFloatData(payload))
                .addNode(NodeProto.newBuilder().setOpType("Foo").addOutput("y").addInput("special")
                        .addAttribute(AttributeProto.newBuilder().setName("f").setType(AttributeType.FLOAT).setF(payload))
                        .addAttribute(AttributeProto.newBuilder().setName("g").setType(AttributeType.FLOATS)
                                .addFloats(Float.NaN).addFloats(Float.NEGATIVE_INFINITY)))
                .addOutput(input("y", 1, 5));
        String text = roundTrip(model(g));
        assertTrue(text.contains("float[5] special = {nan, -nan, inf, -inf, 1e-45}"), text);
        assertTrue(text.contains("g: floats = [nan, -inf]"), text);
        assertTrue(text.contains("#!proto "), "a NaN payload goes into a binary annotation:\n" + text);
    }

    // ---------------------------------------------------------------- what the syntax cannot say

    @Test
    void everythingTheSyntaxCannotSayTravelsInAnnotations() {
        StringStringEntryProto meta = StringStringEntryProto.newBuilder().setKey("k").setValue("v \"quoted\"").build();
        TensorProto weights = TensorProto.newBuilder().setName("w").setDataType(1).addDims(2)
                .setRawData(ByteString.copyFrom(new byte[8])).setDocString("weights").addMetadataProps(meta).build();
        GraphProto branch = GraphProto.newBuilder().setName("branch")
                .addOutput(ValueInfoProto.newBuilder().setName("w"))
                .setDocString("a branch").build();
        TypeProto denoted = TypeProto.newBuilder().setDenotation("IMAGE").setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(1).setShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder()
                        .setDimParam("N").setDenotation("DATA_BATCH")))).build();
        GraphProto.Builder g = GraphProto.newBuilder().setName("main").setDocString("the graph").addMetadataProps(meta)
                .addInput(ValueInfoProto.newBuilder().setName("x").setType(denoted).setDocString("input x")
                        .addMetadataProps(meta))
                .addInput(ValueInfoProto.newBuilder().setName("opaque").setType(TypeProto.newBuilder()
                        .setOpaqueType(TypeProto.Opaque.newBuilder().setDomain("com.x").setName("Thing"))))
                .addInput(ValueInfoProto.newBuilder().setName("untyped"))
                .addInput(ValueInfoProto.newBuilder().setName("seq").setType(TypeProto.newBuilder()
                        .setSequenceType(TypeProto.Sequence.newBuilder().setElemType(TypeProto.newBuilder()
                                .setMapType(TypeProto.Map.newBuilder().setKeyType(7).setValueType(TypeProto.newBuilder()
                                        .setOptionalType(TypeProto.Optional.newBuilder().setElemType(denoted))))))))
                .addInitializer(weights)
                .addSparseInitializer(SparseTensorProto.newBuilder().addDims(4)
                        .setValues(TensorProto.newBuilder().setName("sparse").setDataType(1).addDims(1).addFloatData(3))
                        .setIndices(TensorProto.newBuilder().setDataType(7).addDims(1).addInt64Data(2)))
                .addQuantizationAnnotation(TensorAnnotation.newBuilder().setTensorName("w")
                        .addQuantParameterTensorNames(meta))
                .addNode(NodeProto.newBuilder().setName("node \"one\"").setOpType("If").setDomain("")
                        .setDocString("a node").addMetadataProps(meta).setOverload("v2").addInput("x").addOutput("y")
                        .addOutput("")
                        .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeType.GRAPH)
                                .setG(branch).setDocString("attribute doc"))
                        .addAttribute(AttributeProto.newBuilder().setName("bytes").setType(AttributeType.STRING)
                                .setS(ByteString.copyFrom(new byte[] {(byte) 0xff, 0, 1})))
                        .addAttribute(AttributeProto.newBuilder().setName("tensors").setType(AttributeType.TENSORS)
                                .addTensors(weights).addTensors(weights.toBuilder().clearRawData().addFloatData(1)
                                        .addFloatData(2)))
                        .addAttribute(AttributeProto.newBuilder().setName("graphs").setType(AttributeType.GRAPHS)
                                .addGraphs(branch))
                        .addAttribute(AttributeProto.newBuilder().setName("types").setType(AttributeType.TYPE_PROTOS)
                                .addTypeProtos(denoted).addTypeProtos(TypeProto.newBuilder().setTensorType(
                                        TypeProto.Tensor.newBuilder().setElemType(7))))
                        .addAttribute(AttributeProto.newBuilder().setName("sparse").setType(AttributeType.SPARSE_TENSOR)
                                .setSparseTensor(SparseTensorProto.newBuilder().addDims(3)))
                        .addAttribute(AttributeProto.newBuilder().setName("untyped").setI(3))
                        .addAttribute(AttributeProto.newBuilder().setName("empty").setType(AttributeType.STRINGS))
                        .addAttribute(AttributeProto.newBuilder().setName("odd name").setType(AttributeType.INT).setI(1))
                        .addDeviceConfigurations(dev.tailor.onnx.proto.OnnxProto.NodeDeviceConfigurationProto
                                .newBuilder().setConfigurationId("gpu0").setPipelineStage(1)))
                .addNode(NodeProto.newBuilder().setOpType("Relu").addInput("y").addOutput("z"))
                .addOutput(ValueInfoProto.newBuilder().setName("z"));
        FunctionProto f = FunctionProto.newBuilder().setName("f").setDomain("local").setOverload("o1")
                .setDocString("a function").addMetadataProps(meta).addInput("a").addOutput("b").addAttribute("alpha")
                .addAttributeProto(AttributeProto.newBuilder().setName("beta").setType(AttributeType.FLOAT).setF(0.5f))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(21))
                .addValueInfo(ValueInfoProto.newBuilder().setName("a").setType(denoted))
                .addNode(NodeProto.newBuilder().setOpType("Mul").addInput("a").addInput("a").addOutput("b")
                        .addAttribute(AttributeProto.newBuilder().setName("scale").setType(AttributeType.FLOAT)
                                .setRefAttrName("beta")))
                .build();
        ModelProto.Builder m = model(g).toBuilder().setProducerName("writer \"test\"").setDocString("line one\nline two")
                .addMetadataProps(meta).addFunctions(f)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local"))
                .addTrainingInfo(TrainingInfoProto.newBuilder().setAlgorithm(branch)
                        .addUpdateBinding(StringStringEntryProto.newBuilder().setKey("w").setValue("w2")))
                .addConfiguration(DeviceConfigurationProto.newBuilder().setName("gpus").setNumDevices(2))
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(99, UnknownFieldSet.Field.newBuilder()
                        .addVarint(7).build()).build());
        String text = roundTrip(m.build());
        assertTrue(text.contains("[\"node \\\"one\\\"\"] y, \"\" = If:v2 <"), text);
        assertTrue(text.contains("#! doc_string: \"a node\""), text);
        assertTrue(text.contains("#!unset opset_import[1].version"), text);
        assertTrue(text.contains("types: type_protos = [],"), text);
        assertTrue(text.contains("#! training_info { algorithm { name: \"branch\""), text);
        assertTrue(text.contains("\n#!proto mAYH\n"), "field 99 as protobuf:\n" + text);
        // The syntax alone (as onnx reads it) still parses.
        TextReader.parseAsOnnx(text);
    }

    @Test
    void fieldsTheSyntaxWouldSetButTheModelLacks() {
        GraphProto.Builder g = GraphProto.newBuilder()
                .addInput(ValueInfoProto.newBuilder().setName("x").setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(1))))
                .addNode(NodeProto.newBuilder().addOutput("y").addInput("x").addAttribute(AttributeProto.newBuilder()
                        .setType(AttributeType.TENSOR).setT(TensorProto.newBuilder().addDims(0))))
                .addNode(NodeProto.newBuilder().setDomain("").setOpType("Relu").addOutput("z").addInput("y")
                        .addAttribute(AttributeProto.newBuilder().setName("t").setType(AttributeType.TENSOR)
                                .setT(TensorProto.newBuilder().setName("").setDataType(7).addDims(1).addInt64Data(1))))
                .addOutput(ValueInfoProto.newBuilder().setName("z"));
        String text = roundTrip(ModelProto.newBuilder().setGraph(g).addOpsetImport(OperatorSetIdProto.newBuilder()
                .setDomain("ai.onnx")).build());
        assertTrue(text.startsWith("<\n  opset_import: [\"ai.onnx\" : 0]\n>\n#!unset name\n_ (float[] x) => (z) {\n"
                + "  #!unset domain, op_type\n  y = \"\" <\n    #!unset name\n    _: tensor =\n"
                + "    #!unset data_type, name\n    float[0] {}\n  > (x)\n"), text);
        assertTrue(text.endsWith("\n#!unset opset_import[0].version\n"), text);
        roundTrip(ModelProto.newBuilder().setIrVersion(3).build());
    }

    // ---------------------------------------------------------------- IR models and the side file

    private static Model irModel(int weights) {
        GraphBuilder b = new GraphBuilder("mlp");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", weights));
        float[] w = new float[weights * weights];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i) / 3;
        Value wv = b.initializer(Tensor.ofFloats("w", new long[] {weights, weights}, w));
        Value bias = b.initializer(Tensor.ofFloats("bias", new long[] {weights}, new float[weights]));
        b.output(b.op("Add", b.op("MatMul", x, wv), bias));
        return Model.of(b.build(), 17);
    }

    @Test
    void largeTensorsGoToTheSideFileAndTheTextRefersToThemByNameAndShape() throws Exception {
        Model model = irModel(64);
        Path out = dir.resolve("mlp.onnxtxt");
        TextWriter.Result r = TextWriter.write(model, out, new TextWriter.Options(1024L, null));
        assertEquals(dir.resolve("mlp.onnxtxt.data"), r.dataFile());
        assertEquals(1, r.outOfLineTensors());
        assertEquals(64 * 64 * 4, Files.size(r.dataFile()));
        String text = Files.readString(out);
        assertTrue(text.contains("  #!raw\n  float[64,64] w = [\"location\": \"mlp.onnxtxt.data\", \"offset\": \"0\", "
                + "\"length\": \"16384\"]"), text);
        assertTrue(text.contains("float[64] bias = {\n    0.0, 0.0"), text);
        assertTrue(r.constructs().contains(Construct.EXTERNAL_DATA));
        Model back = TextReader.read(out);
        assertNull(ProtoDiff.firstDifference(OnnxWriter.toProto(model), OnnxWriter.toProto(back)));
        // Written as a binary model, the weights are embedded again (the side file belongs to the text).
        Path binary = dir.resolve("mlp.onnx");
        assertNull(OnnxWriter.write(back, binary).dataFile());
        assertNull(ProtoDiff.firstDifference(OnnxWriter.toProto(model), OnnxReader.readProto(binary)));
        // Without the limit, everything stays in the text and no side file is written.
        Path inline = dir.resolve("inline.onnxtxt");
        assertNull(TextWriter.write(model, inline).dataFile());
        assertFalse(Files.exists(dir.resolve("inline.onnxtxt.data")));
    }

    @Test
    void aModelWithExternalDataKeepsItExternalThroughText() throws Exception {
        Path binary = dir.resolve("ext.onnx");
        OnnxWriter.write(irModel(32), binary, OnnxWriter.Options.defaults().withExternalDataThreshold(1024L));
        Model read = OnnxReader.read(binary);
        assertTrue(read.graph().initializers().get(0).initializer().data() instanceof MappedData);
        Path text = dir.resolve("ext.onnxtxt");
        TextWriter.write(read, text, new TextWriter.Options(1024L, "weights.bin"));
        Model back = TextReader.read(text);
        assertNull(ProtoDiff.firstDifference(OnnxWriter.toProto(read), OnnxWriter.toProto(back)));
        assertTrue(Files.exists(dir.resolve("weights.bin")));
    }

    @Test
    void typedTensorsLeftOutComeBackTyped() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g")
                .addInitializer(TensorProto.newBuilder().setName("i").setDataType(7).addDims(3).addInt64Data(-1)
                        .addInt64Data(0).addInt64Data(Long.MAX_VALUE))
                .addInitializer(TensorProto.newBuilder().setName("h").setDataType(10).addDims(2).addInt32Data(0x3c00)
                        .addInt32Data(0xfc00))
                .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("i").addOutput("y"))
                .addOutput(input("y", 7, 3));
        ModelProto m = model(g);
        Path out = dir.resolve("typed.onnxtxt");
        TextWriter.Result r = TextWriter.write(m, out, new TextWriter.Options(0L, null));
        assertEquals(2, r.outOfLineTensors());
        assertNull(ProtoDiff.firstDifference(m, OnnxWriter.toProto(TextReader.read(out))));
    }
}
