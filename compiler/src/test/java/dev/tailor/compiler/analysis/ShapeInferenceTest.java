package dev.tailor.compiler.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shape inference with symbolic dimensions, one operator family at a time. */
class ShapeInferenceTest {
    private static final Type HIDDEN = Type.tensor(DataType.FLOAT, "batch", "seq", 384);

    private static Tensor zeros(String name, long... dims) {
        return Tensor.ofFloats(name, dims, new float[(int) Tensor.elementCount(dims)]);
    }

    private static Tensor longs(String name, long... values) {
        return Tensor.ofLongs(name, new long[] {values.length}, values);
    }

    private static Shape shape(ShapeInference.Result r, Value v) {
        return r.shape(v);
    }

    @Test
    void matMulKeepsSymbolicBatchAndSequence() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", HIDDEN);
        Value w = b.initializer(zeros("w", 384, 1536));
        Value y = b.op("MatMul", x, w);
        b.output(y);
        ShapeInference.Result r = ShapeInference.infer(Model.of(b.build(), 17));
        assertEquals(Shape.of("batch", "seq", 1536L), shape(r, y));
        assertEquals(new Type.Tensor(DataType.FLOAT, Shape.of("batch", "seq", 1536L)), y.type(), "infer records the type");
        assertEquals(List.of(), r.problems());
    }

    /** ONNX Runtime's int8 products and its pre-opset-13 Q/DQ, as the quantizer writes them. */
    @Test
    void int8ContribOperatorsKeepSymbolicShapes() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", HIDDEN);
        Value w = b.initializer(Tensor.of("w", DataType.INT8, new long[] {384, 1536},
                new dev.tailor.compiler.ir.HeapData(new byte[384 * 1536])));
        Value ws = b.initializer(zeros("ws", 1536));
        Node dq = b.node("", "DynamicQuantizeLinear", List.of(x), 3);
        Value y = b.node("com.microsoft", "MatMulIntegerToFloat",
                List.of(dq.output(0), w, dq.output(1), ws, dq.output(2)), 1).output(0);
        Value one = b.initializer(zeros("s", 1));
        Value q = b.node("com.microsoft", "QuantizeLinear", List.of(x, one), 1).output(0);
        Value back = b.node("com.microsoft", "DequantizeLinear", List.of(q, one), 1).output(0);
        b.output(y, back);
        Model m = Model.of(b.build(), 11);
        m.opsets().add(new OpsetImport("com.microsoft", 1L));
        ShapeInference.Result r = ShapeInference.infer(m);
        assertEquals(new Type.Tensor(DataType.FLOAT, Shape.of("batch", "seq", 1536L)), r.type(y));
        assertEquals(new Type.Tensor(DataType.FLOAT, Shape.of("batch", "seq", 384L)), r.type(back));
        assertEquals(Shape.of("batch", "seq", 384L), r.shape(q));
    }

    @Test
    void matMulPromotesVectorsAndBroadcastsBatches() {
        GraphBuilder b = new GraphBuilder("g");
        Value q = b.input("q", Type.tensor(DataType.FLOAT, "batch", 12, "seq", 32));
        Value k = b.input("k", Type.tensor(DataType.FLOAT, "batch", 12, 32, "seq"));
        Value v = b.input("v", Type.tensor(DataType.FLOAT, 32));
        Value scores = b.op("MatMul", q, k);
        Value proj = b.op("MatMul", q, v);
        b.output(scores, proj);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 17));
        assertEquals(Shape.of("batch", 12L, "seq", "seq"), shape(r, scores));
        assertEquals(Shape.of("batch", 12L, "seq"), shape(r, proj));
    }

    @Test
    void elementwiseBroadcastingWithSymbolicDims() {
        GraphBuilder b = new GraphBuilder("g");
        Value scores = b.input("scores", Type.tensor(DataType.FLOAT, "batch", 12, "seq", "seq"));
        Value mask = b.input("mask", Type.tensor(DataType.FLOAT, "batch", 1, 1, "seq"));
        Value bias = b.input("bias", Type.tensor(DataType.FLOAT, 384));
        Value x = b.input("x", HIDDEN);
        Value odd = b.input("odd", Type.tensor(DataType.FLOAT, 3));
        Value masked = b.op("Add", scores, mask);
        Value biased = b.op("Add", x, bias);
        Value bad = b.op("Mul", x, odd);
        Value cmp = b.op("Less", x, bias);
        b.output(masked, biased, bad, cmp);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 17));
        assertEquals(Shape.of("batch", 12L, "seq", "seq"), shape(r, masked));
        assertEquals(Shape.of("batch", "seq", 384L), shape(r, biased));
        assertEquals(DataType.BOOL, ((Type.Tensor) r.type(cmp)).elementType());
        assertNull(shape(r, bad));
        assertEquals(1, r.problems().size());
        assertTrue(r.problems().get(0).reason().contains("384 and 3 do not broadcast"), r.problems().toString());
    }

    @Test
    void theExporterReshapeChainGivesAKnownTargetShape() {
        // Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as PyTorch writes multi-head attention at opset 13
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", HIDDEN);
        Value shape = b.op("Shape", x);
        Value zero = b.initializer(Tensor.ofLongs("zero", new long[0], 0));
        Value one = b.initializer(Tensor.ofLongs("one", new long[0], 1));
        Value axes = b.initializer(longs("axes", 0));
        Value batch = b.op("Unsqueeze", b.op("Gather", shape, zero), axes);
        Value seq = b.op("Unsqueeze", b.op("Gather", shape, one), axes);
        Value heads = b.initializer(longs("heads", 12));
        Value size = b.initializer(longs("size", 32));
        Value target = b.op("Concat", List.of(batch, seq, heads, size), Attribute.of("axis", 0L));
        Value y = b.op("Reshape", x, target);
        Value back = b.op("Reshape", y, b.initializer(longs("flat", 0, 0, -1)));
        b.output(y, back);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 13));
        assertEquals(Shape.of(3L), shape(r, shape));
        assertEquals(DataType.INT64, ((Type.Tensor) r.type(shape)).elementType());
        assertEquals(List.of(Dim.symbolic("batch"), Dim.symbolic("seq"), Dim.of(384)), r.dimsValue(shape));
        assertNull(r.constantValue(shape), "batch and seq are not numbers");
        assertEquals(List.of(Dim.symbolic("batch"), Dim.symbolic("seq"), Dim.of(12), Dim.of(32)), r.dimsValue(target));
        assertEquals(Shape.of("batch", "seq", 12L, 32L), shape(r, y));
        assertEquals(Shape.of("batch", "seq", 384L), shape(r, back), "0 copies a dim and -1 cancels the symbols");
        assertArrayEquals(new long[] {12}, r.constantValue(heads));
        assertArrayEquals(new long[] {32}, r.constantValue(size));
    }

    @Test
    void reshapeMinusOneWithStaticShapes() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 2, 3, 4));
        Value y = b.op("Reshape", x, b.initializer(longs("s", -1, 4)));
        Value z = b.op("Reshape", x, b.initializer(longs("t", 0, -1)));
        b.output(y, z);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 17));
        assertEquals(Shape.of(6L, 4L), shape(r, y));
        assertEquals(Shape.of(2L, 12L), shape(r, z));
    }

    @Test
    void reshapeOfAnUnknownShapeIsReportedWithItsReason() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", HIDDEN);
        Value s = b.input("s", Type.tensor(DataType.INT64, "n"));
        Value y = b.op("Reshape", x, s);
        b.output(y);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 17));
        assertNull(shape(r, y));
        assertEquals(DataType.FLOAT, ((Type.Tensor) r.type(y)).elementType(), "the element type is still known");
        assertEquals(1, r.problems().size());
        assertEquals("node 'Reshape_0' (Reshape), output 0 'Reshape_0': the target shape (input 1) is not known",
                r.problems().get(0).toString());
        assertEquals(0, r.shapedOutputs());
        assertEquals(1, r.outputs());
    }

    @Test
    void concatGatherTransposeAndSlice() {
        GraphBuilder b = new GraphBuilder("g");
        Value a = b.input("a", Type.tensor(DataType.FLOAT, "batch", 3, "seq"));
        Value c = b.input("c", Type.tensor(DataType.FLOAT, "batch", 5, "seq"));
        Value ids = b.input("ids", Type.tensor(DataType.INT64, "batch", "seq"));
        Value table = b.initializer(zeros("table", 100, 16));
        Value cat = b.op("Concat", List.of(a, c), Attribute.of("axis", 1L));
        Value emb = b.op("Gather", table, ids);
        Value t = b.op("Transpose", List.of(emb), Attribute.ofInts("perm", 0, 2, 1));
        Value sliced = b.op("Slice", cat, b.initializer(longs("st", 1)), b.initializer(longs("en", 6)),
                b.initializer(longs("ax", 1)));
        Value tail = b.op("Slice", cat, b.initializer(longs("st2", -2)), b.initializer(longs("en2", Long.MAX_VALUE)),
                b.initializer(longs("ax2", 1)));
        b.output(cat, emb, t, sliced, tail);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 17));
        assertEquals(Shape.of("batch", 8L, "seq"), shape(r, cat));
        assertEquals(Shape.of("batch", "seq", 16L), shape(r, emb));
        assertEquals(Shape.of("batch", 16L, "seq"), shape(r, t));
        assertEquals(Shape.of("batch", 5L, "seq"), shape(r, sliced));
        assertEquals(Shape.of("batch", 2L, "seq"), shape(r, tail));
    }

    @Test
    void unsqueezeAndSqueezeWithAxesFromAttributeOrInput() {
        GraphBuilder b11 = new GraphBuilder("g");
        Value m = b11.input("mask", Type.tensor(DataType.INT64, "batch", "seq"));
        Value u = b11.op("Unsqueeze", List.of(m), Attribute.ofInts("axes", 1, 2));
        Value s = b11.op("Squeeze", List.of(u), Attribute.ofInts("axes", 1));
        b11.output(u, s);
        ShapeInference.Result r11 = ShapeInference.analyze(Model.of(b11.build(), 11));
        assertEquals(Shape.of("batch", 1L, 1L, "seq"), shape(r11, u));
        assertEquals(Shape.of("batch", 1L, "seq"), shape(r11, s));

        GraphBuilder b13 = new GraphBuilder("g");
        Value m13 = b13.input("mask", Type.tensor(DataType.INT64, "batch", "seq"));
        Value u13 = b13.op("Unsqueeze", m13, b13.initializer(longs("axes", -1)));
        Value s13 = b13.op("Squeeze", u13, b13.initializer(longs("sq", 2)));
        Value all = b13.op("Squeeze", b13.input("ones", Type.tensor(DataType.FLOAT, 1, 4, 1)));
        b13.output(u13, s13, all);
        ShapeInference.Result r13 = ShapeInference.analyze(Model.of(b13.build(), 13));
        assertEquals(Shape.of("batch", "seq", 1L), shape(r13, u13));
        assertEquals(Shape.of("batch", "seq"), shape(r13, s13));
        assertEquals(Shape.of(4L), shape(r13, all));
    }

    @Test
    void reductionsHonourKeepdimsAndTheAxesInputFromOpset18() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", HIDDEN);
        Value keep = b.op("ReduceMean", List.of(x), Attribute.ofInts("axes", -1));
        Value drop = b.op("ReduceMean", List.of(x), Attribute.ofInts("axes", -1), Attribute.of("keepdims", 0L));
        Value all = b.op("ReduceSum", List.of(x), Attribute.of("keepdims", 0L));
        b.output(keep, drop, all);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 11));
        assertEquals(Shape.of("batch", "seq", 1L), shape(r, keep));
        assertEquals(Shape.of("batch", "seq"), shape(r, drop));
        assertEquals(Shape.of(), shape(r, all));

        GraphBuilder b18 = new GraphBuilder("g");
        Value x18 = b18.input("x", HIDDEN);
        Value k18 = b18.op("ReduceMean", x18, b18.initializer(longs("axes", 1)));
        b18.output(k18);
        assertEquals(Shape.of("batch", 1L, 384L), ShapeInference.analyze(Model.of(b18.build(), 18)).shape(k18));
    }

    @Test
    void castSoftmaxLayerNormAndTheShapeOperator() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", HIDDEN);
        Value h = b.op("Cast", List.of(x), Attribute.of("to", (long) DataType.FLOAT16.code()));
        Value sm = b.op("Softmax", List.of(x), Attribute.of("axis", -1L));
        Node ln = b.node(null, "LayerNormalization", List.of(x, b.initializer(zeros("g", 384)),
                b.initializer(zeros("b", 384))), 3);
        Value sh = b.op("Shape", x);
        b.output(h, sm, ln.output(0), ln.output(1), sh);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 17));
        assertEquals(new Type.Tensor(DataType.FLOAT16, Shape.of("batch", "seq", 384L)), r.type(h));
        assertEquals(Shape.of("batch", "seq", 384L), shape(r, sm));
        assertEquals(Shape.of("batch", "seq", 384L), shape(r, ln.output(0)));
        assertEquals(Shape.of("batch", "seq", 1L), shape(r, ln.output(1)));
        assertEquals(new Type.Tensor(DataType.INT64, Shape.of(3L)), r.type(sh));
    }

    @Test
    void integerArithmeticOnShapeValues() {
        // seq * 12, and head size 384 / 12, as GPT-2 exports compute them
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 2, "seq", 384));
        Value shape = b.op("Shape", x);
        Value hidden = b.op("Gather", shape, b.initializer(Tensor.ofLongs("i2", new long[0], 2)));
        Value head = b.op("Div", hidden, b.initializer(Tensor.ofLongs("twelve", new long[0], 12)));
        Value batchTimes = b.op("Mul", b.op("Gather", shape, b.initializer(Tensor.ofLongs("i0", new long[0], 0))),
                b.initializer(Tensor.ofLongs("three", new long[0], 3)));
        Value eq = b.op("Equal", head, b.initializer(Tensor.ofLongs("k", new long[0], 32)));
        Value pick = b.op("Where", eq, head, b.initializer(Tensor.ofLongs("m", new long[0], -1)));
        b.output(head, batchTimes, pick);
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 17));
        assertArrayEquals(new long[] {32}, r.constantValue(head));
        assertArrayEquals(new long[] {6}, r.constantValue(batchTimes));
        assertArrayEquals(new long[] {32}, r.constantValue(pick));
        assertEquals(Shape.of(), shape(r, head));
    }

    @Test
    void comMicrosoftAttentionAndSkipLayerNorm() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", "seq", 768));
        Value w = b.initializer(zeros("w", 768, 2304));
        Value bias = b.initializer(zeros("bias", 2304));
        Node att = b.node("com.microsoft", "Attention", List.of(x, w, bias), 1);
        att.addAttribute(Attribute.of("num_heads", 12L));
        Node sln = b.node("com.microsoft", "SkipLayerNormalization",
                List.of(att.output(0), x, b.initializer(zeros("gamma", 768))), 4);
        b.output(att.output(0), sln.output(0), sln.output(3));
        Model m = Model.of(b.build(), 17);
        m.opsets().add(new OpsetImport("com.microsoft", 1L));
        ShapeInference.Result r = ShapeInference.analyze(m);
        assertEquals(Shape.of("batch", "seq", 768L), shape(r, att.output(0)));
        assertEquals(Shape.of("batch", "seq", 768L), shape(r, sln.output(0)));
        assertEquals(Shape.of("batch", "seq", 1L), shape(r, sln.output(1)));
        assertEquals(Shape.of("batch", "seq", 768L), shape(r, sln.output(3)));
        assertEquals(List.of(), Verifier.verify(m));
    }

    @Test
    void ifBranchesAreInferredAndMerged() {
        GraphBuilder outer = new GraphBuilder("g");
        Value x = outer.input("x", HIDDEN);
        Value cond = outer.input("c", Type.tensor(DataType.BOOL));
        GraphBuilder then = new GraphBuilder("then");
        then.output(then.op("Relu", x));
        GraphBuilder otherwise = new GraphBuilder("else");
        otherwise.output(otherwise.op("Sigmoid", x));
        Value y = outer.op("If", List.of(cond), Attribute.of("then_branch", then.build()),
                Attribute.of("else_branch", otherwise.build()));
        outer.output(y);
        Graph g = outer.build();
        ShapeInference.Result r = ShapeInference.analyze(Model.of(g, 17));
        assertEquals(Shape.of("batch", "seq", 384L), shape(r, y));
    }

    @Test
    void loopCarriedValuesKeepOnlyWhatEveryIterationAgreesOn() {
        GraphBuilder outer = new GraphBuilder("g");
        Value row = outer.input("row", Type.tensor(DataType.FLOAT, 1, 4));
        Value trips = outer.input("m", Type.tensor(DataType.INT64));
        GraphBuilder body = new GraphBuilder("body");
        body.input("i", Type.tensor(DataType.INT64));
        Value cond = body.input("cond", Type.tensor(DataType.BOOL));
        Value acc = body.input("acc", null);
        Value grown = body.op("Concat", List.of(acc, row), Attribute.of("axis", 0L));
        body.output(body.op("Identity", cond), grown, body.op("Relu", row));
        Node loop = outer.node(null, "Loop", java.util.Arrays.asList(trips, null, row), 2);
        loop.addAttribute(Attribute.of("body", body.build()));
        outer.output(loop.output(0), loop.output(1));
        ShapeInference.Result r = ShapeInference.analyze(Model.of(outer.build(), 17));
        assertEquals(Shape.of(null, 4L), shape(r, loop.output(0)), "the accumulator grows by a row per iteration");
        assertEquals(Shape.of(null, 1L, 4L), shape(r, loop.output(1)), "scan outputs stack per iteration");
        assertEquals(List.of(), r.problems());
        assertEquals(r.outputs(), r.shapedOutputs());
    }

    @Test
    void recordValueInfoListsInferredValuesForEmission() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", HIDDEN);
        Value y = b.op("Relu", b.op("MatMul", x, b.initializer(zeros("w", 384, 10))));
        b.output(y);
        Model m = Model.of(b.build(), 17);
        ShapeInference.Result r = ShapeInference.infer(m);
        assertEquals(1, r.recordValueInfo(), "the MatMul output; the graph output carries its own type");
        assertEquals(Shape.of("batch", "seq", 10L), ((Type.Tensor) m.graph().valueInfo().get(0).type()).shape());
        assertEquals(0, r.recordValueInfo(), "idempotent");
    }

    @Test
    void aDeclaredTypeThatContradictsInferenceIsReported() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", HIDDEN);
        Value y = b.op("MatMul", x, b.initializer(zeros("w", 384, 10)));
        y.setType(Type.tensor(DataType.FLOAT, "batch", "seq", 11));
        Value z = b.op("Relu", b.op("Reshape", x, b.input("s", Type.tensor(DataType.INT64, 3))));
        b.output(y, z);
        Node reshape = z.producer().input(0).producer();
        reshape.output(0).setType(Type.tensor(DataType.FLOAT, "batch", 384, "seq"));
        ShapeInference.Result r = ShapeInference.analyze(Model.of(b.build(), 17));
        assertEquals(Shape.of("batch", "seq", 10L), shape(r, y));
        assertTrue(r.problems().toString().contains("contradicts inference"), r.problems().toString());
        // where inference knows only the rank, the declaration fills in the dims
        assertEquals(Shape.of("batch", 384L, "seq"), shape(r, z));
    }
}
