package dev.tailor.passes.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pass's rewrites, checked structurally (the ORT-backed fidelity tests live in the runtime module). */
class QuantizePassTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());

    static PassReport run(Model m, String pipeline) {
        List<PassReport> r = new PassManager(true).run(m, PARSER.parse(pipeline), PassContext.basic());
        assertTrue(Verifier.verify(m).isEmpty(), () -> Verifier.verify(m).toString());
        return r.get(r.size() - 1);
    }

    /** x[batch, 2] -> MatMul(w1 [2, 3]) + b1 -> Relu -> MatMul(w2 [3, 2]) -> y, opset 17. */
    static Model mlp() {
        GraphBuilder b = new GraphBuilder("mlp");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", 2));
        Value w1 = b.initializer(Tensor.ofFloats("w1", new long[] {2, 3}, 127f, -254f, 31.75f, -63.5f, 1f, 63.5f));
        Value b1 = b.initializer(Tensor.ofFloats("b1", new long[] {3}, 0.1f, 0.2f, 0.3f));
        Value w2 = b.initializer(Tensor.ofFloats("w2", new long[] {3, 2}, 1, 2, 3, 4, 5, 6));
        Node m1 = b.node("MatMul", List.of(x, w1), "h0");
        m1.setName("fc1");
        Node a1 = b.node("Add", List.of(m1.output(0), b1), "h1");
        a1.setName("fc1_bias");
        Value r = b.op("Relu", a1.output(0));
        Node m2 = b.node("MatMul", List.of(r, w2), "y");
        m2.setName("fc2");
        b.output(m2.output(0));
        return Model.of(b.build(), 17);
    }

    private static List<String> ops(Model m) {
        return m.graph().nodeList().stream().map(Node::opType).toList();
    }

    private static Value init(Model m, String name) {
        return m.graph().initializers().stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
    }

    @Test
    void int8DynamicDefaultsFuseEachProductWithItsBias() {
        Model m = mlp();
        PassReport r = run(m, "quantize(mode=int8_dynamic)");
        assertEquals(List.of("DynamicQuantizeMatMul", "Relu", "DynamicQuantizeMatMul"), ops(m));
        Node fc1 = m.graph().firstNode();
        assertEquals("com.microsoft", fc1.domainName());
        assertEquals(1, m.opsetVersion("com.microsoft"));
        // A, B, b_scale, (no zero point: symmetric int8), bias.
        assertEquals(5, fc1.inputs().size());
        assertNull(fc1.input(3));
        assertEquals("b1", fc1.input(4).name());
        Tensor q = fc1.input(1).initializer();
        assertEquals(DataType.INT8, q.dataType());
        ByteBuffer bytes = q.bytes();
        byte[] got = new byte[6];
        bytes.get(got);
        assertArrayEquals(new byte[] {127, -127, 64, -64, 0, 127}, got, "per-channel symmetric, as worked out in QuantMathTest");
        assertArrayEquals(new float[] {1f, 2f, 0.5f}, fc1.input(2).initializer().toFloats());
        // Names of the interface and of replaced values stay; the float weights and bias Add are gone.
        assertEquals("y", m.graph().outputs().get(0).name());
        assertEquals("h1", fc1.output(0).name());
        assertNull(init(m, "w1"));
        assertNull(init(m, "w2"));
        Map<String, Object> metrics = r.result().metrics();
        assertEquals(2, metrics.get("quantized"));
        assertEquals(List.of("fc1", "fc2"), metrics.get("quantized_nodes"));
        assertTrue((Long) metrics.get("bytes_after") < (Long) metrics.get("bytes_before"));
    }

    @Test
    void theOnnxFormUsesStandardOperatorsOnly() {
        Model m = mlp();
        run(m, "quantize(mode=int8_dynamic, form=onnx, per_channel=false)");
        assertEquals(List.of("DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul", "Add", "Relu",
                "DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul"), ops(m));
        assertEquals(-1, m.opsetVersion("com.microsoft"));
        assertEquals(0, init(m, "w1_scale").initializer().rank(), "per-tensor scale");
        assertEquals(DataType.INT8, init(m, "w1_quantized").initializer().dataType());
    }

    @Test
    void integerToFloatSharesTheActivationQuantizationBetweenConsumers() {
        GraphBuilder b = new GraphBuilder("qkv");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "n", 2));
        Value wq = b.initializer(Tensor.ofFloats("wq", new long[] {2, 2}, 1, 2, 3, 4));
        Value wk = b.initializer(Tensor.ofFloats("wk", new long[] {2, 2}, 4, 3, 2, 1));
        b.output(b.op("MatMul", x, wq), b.op("MatMul", x, wk));
        Model m = Model.of(b.build(), 17);
        run(m, "quantize(form=integer_to_float)");
        assertEquals(List.of("DynamicQuantizeLinear", "MatMulIntegerToFloat", "MatMulIntegerToFloat"), ops(m));
    }

    @Test
    void sharedWeightsAreQuantizedOnceAndTiedWeightsStayFloat() {
        GraphBuilder b = new GraphBuilder("shared");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "n", 2));
        Value ids = b.input("ids", Type.tensor(DataType.INT64, "n"));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {2, 2}, 1, 2, 3, 4));
        Value emb = b.initializer(Tensor.ofFloats("emb", new long[] {2, 2}, 1, 0, 0, 1));
        Value a = b.op("MatMul", x, w);
        Value c = b.op("MatMul", a, w); // the same weight twice
        Value e = b.op("Gather", emb, ids);
        Value logits = b.op("MatMul", e, emb); // tied to the embedding table
        b.output(c, logits);
        Model m = Model.of(b.build(), 17);
        PassReport r = run(m, "quantize");
        long quantizedWeights = m.graph().initializers().stream().filter(v -> v.initializer().dataType() == DataType.INT8).count();
        assertEquals(1, quantizedWeights, "one int8 copy of w for both products");
        assertEquals(2, r.result().metrics().get("quantized"));
        assertNotNull(init(m, "emb"));
        assertTrue(ops(m).contains("MatMul"), "the tied product stays float");
        assertTrue(r.result().metrics().get("float_nodes").toString().contains("tied"), r.result().metrics().toString());
    }

    /**
     * ids[b, s], pids[s] -> Gather(word [4, 3]) + Gather(pos [2, 3]) -> MatMul(w [3, 2]) -> y. The word table's
     * rows have the exact scales 1/127 * 1.27, 2, 1 (a zero row) and 1.
     */
    static Model embedder(long opset) {
        GraphBuilder b = new GraphBuilder("embedder");
        Value ids = b.input("ids", Type.tensor(DataType.INT64, "b", "s"));
        Value pids = b.input("pids", Type.tensor(DataType.INT64, "s"));
        Value word = b.initializer(Tensor.ofFloats("word", new long[] {4, 3},
                1.27f, -0.5f, 0.3f, -254f, 127f, 63f, 0f, 0f, 0f, 0.5f, 1.5f, -127f));
        Value pos = b.initializer(Tensor.ofFloats("pos", new long[] {2, 3}, 1, 2, 3, -4, -5, -6));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {3, 2}, 1, 2, 3, 4, 5, 6));
        Node e = b.node("Gather", List.of(word, ids), "e");
        e.setName("word_lookup");
        Node p = b.node("Gather", List.of(pos, pids), "p");
        p.setName("pos_lookup");
        Value h = b.op("Add", e.output(0), p.output(0));
        b.output(b.op("MatMul", h, w));
        return Model.of(b.build(), opset);
    }

    private static byte[] bytes(Value v) {
        ByteBuffer bb = v.initializer().bytes();
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        return out;
    }

    @Test
    void embeddingTablesBecomeInt8WithOneScalePerRow() {
        Model m = embedder(17);
        PassReport r = run(m, "quantize");
        assertNull(init(m, "word"));
        assertNull(init(m, "pos"));
        assertArrayEquals(new byte[] {127, -50, 30, -127, 64, 32, 0, 0, 0, 0, 2, -127}, bytes(init(m, "word_quantized")),
                "as worked out in QuantMathTest");
        assertArrayEquals(new float[] {1.27f / 127, 2f, 1f, 1f}, init(m, "word_scale").initializer().toFloats(), 1e-9f);
        assertArrayEquals(new long[] {4}, init(m, "word_scale").initializer().dims());
        // Each lookup: int8 rows and their scales gathered with the same ids, scales unsqueezed, cast, multiplied.
        Node mul = m.graph().nodeList().stream().filter(n -> n.opType().equals("Mul")).findFirst().orElseThrow();
        Node cast = mul.input(0).producer();
        Node unsq = mul.input(1).producer();
        assertEquals("Cast", cast.opType());
        assertEquals("Unsqueeze", unsq.opType());
        assertEquals(2, unsq.inputs().size(), "opset 13+: axes as an input");
        Node rows = cast.input(0).producer();
        Node scales = unsq.input(0).producer();
        assertEquals("Gather", rows.opType());
        assertEquals("Gather", scales.opType());
        assertEquals(rows.input(1), scales.input(1), "the same ids");
        assertEquals("e", mul.output(0).name(), "the lookup's value keeps its name");
        Map<String, Object> metrics = r.result().metrics();
        assertEquals(2, ((List<?>) metrics.get("tables_quantized")).size(), metrics.toString());
        assertEquals(72L, metrics.get("table_bytes_before"));
        assertEquals(12L + 16 + 6 + 8, metrics.get("table_bytes_after"), "int8 values and float scales");
        assertEquals(1, metrics.get("quantized"), "products are counted on their own");
    }

    @Test
    void opsetBelow13UnsqueezesWithAnAttributeAndPerTensorTablesDequantize() {
        Model m = embedder(11);
        run(m, "quantize");
        Node unsq = m.graph().nodeList().stream().filter(n -> n.opType().equals("Unsqueeze")).findFirst().orElseThrow();
        assertEquals(1, unsq.inputs().size());
        assertArrayEquals(new long[] {-1}, unsq.attribute("axes").asInts());

        Model t = embedder(17);
        run(t, "quantize(per_channel=false)");
        assertEquals(2, ops(t).stream().filter("DequantizeLinear"::equals).count());
        assertFalse(ops(t).contains("Unsqueeze"));
        assertEquals(0, init(t, "word_scale").initializer().rank(), "one scale per table");
        assertArrayEquals(new float[] {2f}, init(t, "word_scale").initializer().toFloats());
    }

    @Test
    void embeddingsFloatOrExcludedLookupsKeepTheirTables() {
        Model f = embedder(17);
        PassReport rf = run(f, "quantize(embeddings=float)");
        assertNotNull(init(f, "word"));
        assertFalse(ops(f).contains("Cast"));
        assertTrue(rf.result().metrics().get("tables_float").toString().contains("word_lookup (embeddings=float)"),
                rf.result().metrics().toString());

        Model x = embedder(17);
        PassReport rx = run(x, "quantize(exclude=[word_lookup])");
        assertNotNull(init(x, "word"));
        assertNull(init(x, "pos"));
        assertNotNull(init(x, "pos_quantized"));
        assertTrue(rx.result().metrics().get("tables_float").toString().contains("word_lookup (not selected)"));

        Model g = embedder(17);
        run(g, "quantize(include=[MatMul])");
        assertNotNull(init(g, "word"));
        assertNotNull(init(g, "pos"));
    }

    @Test
    void aTableSharedByLookupsIsQuantizedOnceAndATiedTableStaysFloat() {
        GraphBuilder b = new GraphBuilder("tables");
        Value ids = b.input("ids", Type.tensor(DataType.INT64, "n"));
        Value shared = b.initializer(Tensor.ofFloats("shared", new long[] {2, 2}, 1, 2, 3, 4));
        Value tied = b.initializer(Tensor.ofFloats("tied", new long[] {2, 2}, 1, 0, 0, 1));
        Value a = b.op("Gather", shared, ids);
        Value c = b.op("Gather", shared, ids);
        Value e = b.op("Gather", tied, ids);
        Value logits = b.op("MatMul", e, tied); // an LM head tied to the table
        b.output(b.op("Add", a, c), logits);
        Model m = Model.of(b.build(), 17);
        PassReport r = run(m, "quantize");
        long int8 = m.graph().initializers().stream().filter(v -> v.initializer().dataType() == DataType.INT8).count();
        assertEquals(1, int8, "one int8 copy of the shared table, none of the tied one");
        assertNull(init(m, "shared"));
        assertNotNull(init(m, "tied"));
        Map<String, Object> metrics = r.result().metrics();
        assertTrue(metrics.get("tables_float").toString().contains("tied"), metrics.toString());
        assertTrue(metrics.get("float_nodes").toString().contains("tied"), "the head stays float too: " + metrics);
        assertEquals(16L, metrics.get("table_bytes_before"), "the shared table counted once");
        assertEquals(4L + 8, metrics.get("table_bytes_after"));
    }

    @Test
    void includeAndExcludeByNameOpTypeAndGlob() {
        Model m = mlp();
        PassReport r = run(m, "quantize(exclude=[fc2])");
        assertEquals(List.of("DynamicQuantizeMatMul", "Relu", "MatMul"), ops(m));
        assertEquals(List.of("fc2 (not selected)"), r.result().metrics().get("float_nodes"));

        Model g = mlp();
        run(g, "quantize(include=[fc*], exclude=[\"*1\"])");
        assertEquals(List.of("MatMul", "Add", "Relu", "DynamicQuantizeMatMul"), ops(g));

        Model none = mlp();
        PassReport n = run(none, "quantize(include=[Gemm])");
        assertEquals(List.of("MatMul", "Add", "Relu", "MatMul"), ops(none));
        assertFalse(n.result().isModified());
    }

    @Test
    void anAnatomyIdWithoutTheAnalysisIsReportedNotIgnored() {
        Model m = mlp();
        PassReport r = run(m, "quantize(exclude=[b0.attn.o])");
        assertTrue(r.result().notes().stream().anyMatch(n -> n.contains("b0.attn.o") && n.contains("anatomy")),
                r.result().notes().toString());
    }

    @Test
    void gemmWithTransposedWeightBecomesOneFusedProduct() {
        GraphBuilder b = new GraphBuilder("gemm");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "n", 3));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {2, 3}, 1, 2, 2.5f, 4, 5, 6)); // [N, K]
        Value c = b.initializer(Tensor.ofFloats("c", new long[] {2}, 1, 1));
        b.output(b.op("Gemm", List.of(x, w, c), Attribute.of("transB", 1L)));
        Model m = Model.of(b.build(), 17);
        run(m, "quantize(per_channel=false)");
        Node n = m.graph().firstNode();
        assertEquals("DynamicQuantizeMatMul", n.opType());
        Tensor q = n.input(1).initializer();
        assertArrayEquals(new long[] {3, 2}, q.dims(), "stored [K, N]");
        byte[] got = new byte[6];
        q.bytes().get(got);
        // Scale 6/127: the K x N matrix [[1,4],[2,5],[2.5,6]] -> round(x * 127 / 6).
        assertArrayEquals(new byte[] {21, 85, 42, 106, 53, 127}, got);
    }

    @Test
    void weightOnlyWritesMatMulNBitsOrBlockedDequantizeLinear() {
        Model m = mlp();
        PassReport r = run(m, "quantize(mode=int4_weight, block_size=16)");
        Node n = m.graph().firstNode();
        assertEquals("MatMulNBits", n.opType());
        assertEquals(2L, n.attribute("K").asInt());
        assertEquals(3L, n.attribute("N").asInt());
        assertEquals(4L, n.attribute("bits").asInt());
        assertArrayEquals(new long[] {3, 1, 8}, n.input(1).initializer().dims(), "[N, k_blocks, blob]");
        assertEquals("b1", n.input(5).name(), "the bias rides along");
        assertTrue(r.result().metrics().get("scheme").toString().contains("int4"));

        Model d = mlp();
        run(d, "quantize(mode=int4_weight, block_size=16, format=dequantize_linear)");
        assertEquals(21, d.opsetVersion(""), "upgraded for the blocked DequantizeLinear");
        Node dq = d.graph().firstNode();
        assertEquals("DequantizeLinear", dq.opType());
        assertEquals(16L, dq.attribute("block_size").asInt());
        assertEquals(DataType.INT4, dq.input(0).initializer().dataType());
        assertArrayEquals(new long[] {1, 3}, dq.input(1).initializer().dims());

        assertThrows(PassException.class, () -> run(mlp(), "quantize(mode=int4_weight, block_size=24)"));
    }

    @Test
    void staticQuantizationNeedsAnEvaluator() {
        PassException e = assertThrows(PassException.class, () -> run(mlp(), "quantize(mode=int8_static)"));
        assertTrue(e.getMessage().contains("evaluator"), e.getMessage());
        assertThrows(PassException.class, () -> run(mlp(), "quantize(target_cosine=0.99)"));
    }

    @Test
    void fp16KeepsTheInterfaceAndFloat32Islands() {
        GraphBuilder b = new GraphBuilder("f");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "n", 2));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {2, 2}, 1, 2, 3, 1e6f));
        Value h = b.op("MatMul", x, w);
        Value s = b.op("Softmax", List.of(h), Attribute.of("axis", -1L));
        Value y = b.op("Mul", s, b.initializer(Tensor.ofFloats("two", new long[0], 2f)));
        b.output(y);
        Model m = Model.of(b.build(), 17);
        String outName = y.name();
        PassReport r = run(m, "quantize(mode=fp16)");
        assertEquals(List.of("Cast", "MatMul", "Cast", "Softmax", "Mul"), ops(m));
        assertEquals(outName, m.graph().outputs().get(0).name());
        assertEquals(DataType.FLOAT, ((Type.Tensor) m.graph().inputs().get(0).type()).elementType());
        Tensor w16 = m.graph().nodeList().get(1).input(1).initializer();
        assertEquals(DataType.FLOAT16, w16.dataType());
        assertEquals((short) 0x7BFF, w16.bytes().getShort(6), "1e6 clamps to 65504");
        assertNull(init(m, "w"), "the float original is gone");
        assertEquals(1, r.result().metrics().get("nodes_float16"), r.result().metrics().toString());
        assertEquals(2, r.result().metrics().get("casts"));
    }
}
