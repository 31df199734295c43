package dev.tailor.compiler.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class VerifierTest {

    static Model mlp() {
        GraphBuilder b = new GraphBuilder("mlp");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", 2));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {2, 2}, 1, 2, 3, 4));
        b.output(b.op("Relu", b.op("MatMul", x, w)));
        return Model.of(b.build(), 17);
    }

    private static final java.util.Set<String> STRUCTURAL = java.util.Set.of("node-graph", "use-before-definition",
            "use-list", "missing-opset", "producer", "undefined-output", "single-definition", "unique-name");

    private static List<String> rules(Model m) {
        return Verifier.verify(m).stream().map(Diagnostic::rule).toList();
    }

    @Test
    void aWellFormedModelHasNoProblems() {
        assertEquals(List.of(), Verifier.verify(mlp()));
    }

    @Test
    void findsAUseOfAValueComputedLater() {
        Model m = mlp();
        Node relu = m.graph().lastNode();
        Node matmul = m.graph().firstNode();
        // Make MatMul read Relu's output: a cycle in the data flow.
        matmul.setInput(0, relu.output(0));
        assertTrue(rules(m).contains("use-before-definition"), Verifier.verify(m).toString());
    }

    @Test
    void findsAMissingOpset() {
        Model m = mlp();
        m.graph().append(new Node("com.microsoft", "FastGelu", List.of(m.graph().inputs().get(0)), List.of("g")));
        List<Diagnostic> d = Verifier.verify(m);
        assertEquals(List.of("missing-opset"), d.stream().map(Diagnostic::rule).toList());
        assertTrue(d.get(0).message().contains("'com.microsoft'"), d.toString());
    }

    @Test
    void findsAnUndefinedOutputAndADanglingValue() {
        Model m = mlp();
        m.graph().addOutput(new Value("ghost"));
        m.graph().firstNode().addInput(new Value("nowhere"));
        List<String> r = rules(m);
        assertTrue(r.contains("undefined-output"), r.toString());
        assertTrue(r.contains("use-before-definition"), r.toString());
    }

    // ---- operator signatures ----

    /** One node {@code op} over inputs of the given types, in a model importing ONNX opset {@code opset}. */
    private static Model single(long opset, String op, List<Type> inputTypes, int outputs, Attribute... attributes) {
        GraphBuilder b = new GraphBuilder("g");
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < inputTypes.size(); i++) ins.add(b.input("x" + i, inputTypes.get(i)));
        Node n = b.node(null, op, ins, outputs);
        for (Attribute a : attributes) n.addAttribute(a);
        for (Value v : n.outputs()) b.output(v);
        return Model.of(b.build(), opset);
    }

    private static final Type F = Type.tensor(DataType.FLOAT, "batch", 4);

    private static Diagnostic only(Model m) {
        List<Diagnostic> d = Verifier.verify(m);
        assertEquals(1, d.size(), d.toString());
        return d.get(0);
    }

    @Test
    void findsWrongInputArity() {
        Diagnostic d = only(single(17, "MatMul", List.of(F), 1));
        assertEquals("arity", d.rule());
        assertEquals("node 'MatMul_0' (MatMul): has 1 input; MatMul-13 takes exactly 2", d.toString().replace(" [arity]", ""));
    }

    @Test
    void findsWrongOutputArityAndAnOmittedRequiredInput() {
        assertEquals("arity", only(single(17, "Relu", List.of(F), 2)).rule());
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", F);
        Node n = b.node(null, "Add", java.util.Arrays.asList(x, null), 1);
        b.output(n.output(0));
        Diagnostic d = only(Model.of(b.build(), 17));
        assertEquals("arity", d.rule());
        assertTrue(d.message().contains("input 1 ('B') is omitted"), d.message());
    }

    @Test
    void findsABadAttributeType() {
        Diagnostic d = only(single(17, "Softmax", List.of(F), 1, Attribute.of("axis", 1.0f)));
        assertEquals("attribute-type", d.rule());
        assertTrue(d.message().contains("attribute 'axis' is FLOAT, but Softmax-13 declares it INT"), d.message());
    }

    @Test
    void findsAnUnknownAttribute() {
        Diagnostic d = only(single(17, "Relu", List.of(F), 1, Attribute.of("alpha", 0.1f)));
        assertEquals("unknown-attribute", d.rule());
        assertTrue(d.message().contains("'alpha'"), d.message());
    }

    @Test
    void findsAMissingRequiredAttribute() {
        Diagnostic d = only(single(17, "Cast", List.of(F), 1));
        assertEquals("missing-attribute", d.rule());
        assertTrue(d.message().contains("lacks attribute 'to', which Cast-13 requires"), d.message());
    }

    @Test
    void findsATypeConstraintViolation() {
        // MatMul does not take int8
        Diagnostic d = only(single(17, "MatMul", List.of(Type.tensor(DataType.INT8, 2, 2), Type.tensor(DataType.INT8, 2, 2)), 1));
        assertEquals("type-constraint", d.rule());
        assertTrue(d.message().startsWith("input 0 ('A') is tensor(int8), but T of MatMul-13 allows"), d.message());
        // both inputs of Add are T: float and int64 cannot both bind it
        Diagnostic e = only(single(17, "Add", List.of(F, Type.tensor(DataType.INT64, 4)), 1));
        assertEquals("type-constraint", e.rule());
        assertTrue(e.message().contains("input 1 ('B') is tensor(int64), but input 0 ('A') is tensor(float)"), e.message());
    }

    @Test
    void checksTypesThatInferenceDerives() {
        // The Cast's output type is not declared anywhere; inference derives int8 from 'to', which Relu rejects.
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", F);
        Value c = b.op("Cast", List.of(x), Attribute.of("to", (long) DataType.STRING.code()));
        b.output(b.op("Relu", c));
        Diagnostic d = only(Model.of(b.build(), 17));
        assertEquals("type-constraint", d.rule());
        assertTrue(d.element().contains("Relu"), d.toString());
    }

    @Test
    void findsAnOperatorUsedBeforeItsOpset() {
        Model m = single(13, "LayerNormalization", List.of(F, Type.tensor(DataType.FLOAT, 4)), 1);
        Diagnostic d = only(m);
        assertEquals("operator-version", d.rule());
        assertTrue(d.message().contains("its first version is 17"), d.message());
    }

    @Test
    void picksTheSignatureOfTheImportedVersion() {
        // ReduceMean takes axes as an attribute before opset 18 and as an input from 18 on
        Type x = Type.tensor(DataType.FLOAT, "batch", "seq", 384);
        assertEquals(List.of(), Verifier.verify(single(17, "ReduceMean", List.of(x), 1, Attribute.ofInts("axes", -1))));
        assertEquals("unknown-attribute", only(single(18, "ReduceMean", List.of(x), 1, Attribute.ofInts("axes", -1))).rule());
        assertEquals(List.of(), Verifier.verify(single(18, "ReduceMean", List.of(x, Type.tensor(DataType.INT64, 1)), 1)));
        assertEquals("arity", only(single(17, "ReduceMean", List.of(x, Type.tensor(DataType.INT64, 1)), 1)).rule());
    }

    @Test
    void aNewerVersionTheRegistryDoesNotDescribeIsNotCheckedAgainstAnOlderOne() {
        // QuantizeLinear-19 added 'saturate'; the registry marks 19 as unchecked rather than apply QuantizeLinear-13
        Model m = single(19, "QuantizeLinear", List.of(F, Type.tensor(DataType.FLOAT)), 1, Attribute.of("saturate", 1L));
        assertEquals(List.of(), Verifier.verify(m));
        assertEquals("unknown-attribute",
                only(single(13, "QuantizeLinear", List.of(F, Type.tensor(DataType.FLOAT)), 1, Attribute.of("saturate", 1L))).rule());
        assertTrue(OpSchemas.standard().lookup("", "QuantizeLinear", 19).unchecked());
        // opsets after 23 may change any operator: their ai.onnx nodes are not checked against 23's signatures
        assertEquals(List.of(), Verifier.verify(single(24, "Cast", List.of(F), 1, Attribute.of("to", 1L),
                Attribute.of("round_mode", "up"))));
        assertEquals("unknown-attribute", only(single(23, "Cast", List.of(F), 1, Attribute.of("to", 1L),
                Attribute.of("round_mode", "up"))).rule());
    }

    @Test
    void schemaTextExtendsAnotherVersion() {
        OpSchemas s = OpSchemas.parse(new java.io.StringReader("""
                schema ex Op 1
                input X T single
                input Y T optional
                output Z T single
                attr a INT required
                constraint T tensor(float)

                schema ex Op 3 extends 1
                attr b FLOAT optional
                drop-attr a
                constraint T tensor(float) tensor(double)
                """), "test");
        OpSchema v3 = s.lookup("ex", "Op", 5);
        assertEquals(3, v3.since());
        assertEquals(java.util.Set.of("b"), v3.attributes().keySet());
        assertEquals(1, v3.minInputs());
        assertEquals(2, v3.maxInputs());
        assertEquals(java.util.Set.of("tensor(float)", "tensor(double)"), v3.constraints().get("T"));
        assertEquals(1, s.lookup("ex", "Op", 2).since());
        assertEquals(null, s.lookup("ex", "Op", 0));
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> OpSchemas.parse(new java.io.StringReader("schema ex Op 1\ninput X U single\n"), "bad"));
        assertTrue(e.getMessage().contains("which no constraint defines"), e.getMessage());
    }

    @Test
    void checksComMicrosoftOperators() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", "seq", 8));
        Value skip = b.input("skip", Type.tensor(DataType.FLOAT, "batch", "seq", 8));
        Value gamma = b.initializer(Tensor.ofFloats("gamma", new long[] {8}, new float[8]));
        Node n = b.node("com.microsoft", "SkipLayerNormalization", List.of(x, skip, gamma), 1);
        n.addAttribute(Attribute.of("epsilon", 1e-5f));
        n.addAttribute(Attribute.of("epsilonn", 1e-5f));
        b.output(n.output(0));
        Model m = Model.of(b.build(), 17);
        m.opsets().add(new dev.tailor.compiler.ir.OpsetImport("com.microsoft", 1L));
        Diagnostic d = only(m);
        assertEquals("unknown-attribute", d.rule());
        assertTrue(d.message().contains("com.microsoft.SkipLayerNormalization-1"), d.message());
    }

    @Test
    void reportsEveryProblemAtOnceAndSkipsOperatorsWithoutSchema() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", F);
        Value r = b.op("Relu", List.of(x), Attribute.of("alpha", 1.0f));
        Node custom = b.node("example.custom", "Whatever", List.of(r), 3);
        b.output(b.op("Cast", custom.output(0)));
        Model m = Model.of(b.build(), 17);
        m.opsets().add(new dev.tailor.compiler.ir.OpsetImport("example.custom", 1L));
        assertEquals(List.of("unknown-attribute", "missing-attribute"), rules(m));
    }

    @Test
    void theSchemaRegistryCoversTheTransformerOperators() {
        OpSchemas s = OpSchemas.standard();
        for (String op : List.of("MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh", "Sigmoid",
                "Relu", "Softmax", "LayerNormalization", "ReduceMean", "Reshape", "Transpose", "Gather", "Unsqueeze",
                "Squeeze", "Concat", "Slice", "Split", "Shape", "ConstantOfShape", "Cast", "Where", "Equal", "Expand",
                "Range", "Constant", "Identity", "Trilu", "CumSum", "Einsum", "Conv"))
            assertTrue(s.lookup("", op, 23) != null, op);
        for (String op : List.of("Attention", "MultiHeadAttention", "GroupQueryAttention", "SkipLayerNormalization",
                "SkipSimplifiedLayerNormalization", "FastGelu", "BiasGelu", "Gelu", "QuickGelu", "RotaryEmbedding",
                "EmbedLayerNormalization", "MatMulNBits", "DynamicQuantizeMatMul", "MatMulIntegerToFloat",
                "QuantizeLinear", "DequantizeLinear"))
            assertTrue(s.lookup("com.microsoft", op, 1) != null, op);
        assertEquals(13, s.lookup("", "ReduceMean", 17).since());
        assertEquals(18, s.lookup("", "ReduceMean", 23).since());
        assertEquals(18, s.lookup("", "Split", 18).since());
        assertTrue(s.lookup("", "Split", 18).attributes().containsKey("num_outputs"));
    }

    @Test
    void everyConformanceModelIsStructurallyWellFormed() throws Exception {
        List<String> failures = new ArrayList<>();
        Path data = Path.of("/usr/share/libonnx-testdata/data");
        int count = 0;
        for (String suite : List.of("node", "simple", "pytorch-converted", "pytorch-operator")) {
            try (Stream<Path> s = Files.walk(data.resolve(suite))) {
                for (Path p : s.filter(f -> f.getFileName().toString().equals("model.onnx")).toList()) {
                    count++;
                    // signatures are compared with onnx's checker in VerifierConformanceTest
                    List<Diagnostic> d = Verifier.verify(OnnxReader.read(p)).stream()
                            .filter(x -> STRUCTURAL.contains(x.rule())).toList();
                    if (!d.isEmpty()) failures.add(data.relativize(p) + ": " + d);
                }
            }
        }
        assertEquals(1072, count);
        assertEquals(List.of(), failures);
    }
}
