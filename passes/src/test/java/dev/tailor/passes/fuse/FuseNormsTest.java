package dev.tailor.passes.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rewrite checked structurally; {@code FuseNormsOnOrtTest} (runtime) runs real models through ONNX Runtime. */
class FuseNormsTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());

    private static PassReport run(Model m) {
        List<PassReport> r = new PassManager(true).run(m, PARSER.parse("fuse_norms"), PassContext.basic());
        assertTrue(Verifier.verify(m).isEmpty(), () -> Verifier.verify(m).toString());
        return r.get(0);
    }

    /** {@code LayerNorm((x W + bias) + r)}, the norm written out as PyTorch exports it, with the sum maybe read on. */
    private static Model block(Type residual, boolean sumReadOn) {
        GraphBuilder b = new GraphBuilder("block");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", "seq", 4));
        Value r = b.input("r", residual);
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {4, 4}, new float[16]));
        Value bias = b.initializer(Tensor.ofFloats("bias", new long[] {4}, 1, 2, 3, 4));
        Value gamma = b.initializer(Tensor.ofFloats("gamma", new long[] {4}, 1, 1, 2, 2));
        Value beta = b.initializer(Tensor.ofFloats("beta", new long[] {4}, 0, 0, 1, 1));
        Value two = b.initializer(Tensor.ofFloats("two", new long[0], 2));
        Value eps = b.initializer(Tensor.ofFloats("eps", new long[0], 1e-5f));
        Value s = b.op("Add", b.op("Add", b.op("MatMul", x, w), bias), r);
        Value mean = b.op("ReduceMean", List.of(s), Attribute.ofInts("axes", -1));
        Value d = b.op("Sub", s, mean);
        Value var = b.op("ReduceMean", List.of(b.op("Pow", d, two)), Attribute.ofInts("axes", -1));
        Value y = b.op("Add", b.op("Mul", b.op("Div", d, b.op("Sqrt", b.op("Add", var, eps))), gamma), beta);
        if (sumReadOn) b.output(y, b.op("Relu", s));
        else b.output(y);
        return Model.of(b.build(), 17);
    }

    @Test
    void postNormFusesWithTheBiasAndNothingWrittenOutIsLeft() {
        Model m = block(Type.tensor(DataType.FLOAT, "batch", "seq", 4), false);
        Map<String, Object> metrics = run(m).result().metrics();
        assertEquals(1, metrics.get("norms_fused"));
        assertEquals(1, metrics.get("biases_fused"));
        List<Node> nodes = m.graph().nodeList();
        assertEquals(List.of("MatMul", "SkipLayerNormalization"), nodes.stream().map(Node::opType).toList());
        Node skip = nodes.get(1);
        assertEquals("com.microsoft", skip.domain());
        assertEquals(List.of("MatMul_out", "r", "gamma", "beta", "bias").size(), skip.inputs().size());
        assertSame(nodes.get(0).output(0), skip.input(0));
        assertEquals("r", skip.input(1).name());
        assertEquals("gamma", skip.input(2).name());
        assertEquals("beta", skip.input(3).name());
        assertEquals("bias", skip.input(4).name());
        assertEquals(1e-5f, skip.attribute("epsilon").asFloat(), 1e-12);
        assertEquals(1, skip.outputs().size(), "nothing else reads the sum");
        assertTrue(skip.output(0).isGraphOutput(), "the norm's output keeps its place as graph output");
        assertTrue(m.opsetVersion("com.microsoft") >= 1);
        assertTrue(m.graph().initializers().stream().noneMatch(v -> v.name().equals("two") || v.name().equals("eps")),
                "the written-out norm's constants go with it");
    }

    @Test
    void aSumReadOnComesOutOfTheFourthOutput() {
        Model m = block(Type.tensor(DataType.FLOAT, "batch", "seq", 4), true);
        run(m);
        Node skip = m.graph().nodeList().stream().filter(n -> n.opType().equals("SkipLayerNormalization"))
                .findFirst().orElseThrow();
        assertEquals(4, skip.outputs().size());
        assertNull(skip.output(1));
        assertNull(skip.output(2));
        Node relu = m.graph().nodeList().stream().filter(n -> n.opType().equals("Relu")).findFirst().orElseThrow();
        assertSame(skip.output(3), relu.input(0));
    }

    @Test
    void oneRowBroadcastOverTheBatchIsTheSkip() {
        Model m = block(Type.tensor(DataType.FLOAT, 1, "seq", 4), false);
        assertEquals(1, run(m).result().metrics().get("norms_fused"));
    }

    /** An Add that broadcasts another way stays; the norm fuses alone, its input as its own skip. */
    @Test
    void otherBroadcastsKeepTheirAddAndTheNormFusesAlone() {
        Model m = block(Type.tensor(DataType.FLOAT, "seq", 4), false);
        Map<String, Object> metrics = run(m).result().metrics();
        assertEquals(1, metrics.get("norms_fused"));
        assertEquals(1, metrics.get("norms_alone"));
        Node skip = m.graph().nodeList().stream().filter(n -> n.opType().equals("SkipLayerNormalization"))
                .findFirst().orElseThrow();
        assertEquals("Add", skip.input(0).producer().opType(), "the broadcasting Add stays");
        assertSame(skip.input(0), skip.input(1));
        assertEquals(4e-5f, skip.attribute("epsilon").asFloat(), 1e-12, "norm(x + x) = norm(x) with 4 epsilon");
    }

    @Test
    void aNormOnAGraphInputFusesAlone() {
        GraphBuilder b = new GraphBuilder("ln");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", "seq", 4));
        Value g = b.initializer(Tensor.ofFloats("g", new long[] {4}, 1, 1, 1, 1));
        b.output(b.op("LayerNormalization", List.of(x, g), Attribute.of("axis", -1L)));
        Model m = Model.of(b.build(), 17);
        Map<String, Object> metrics = run(m).result().metrics();
        assertEquals(1, metrics.get("norms_alone"), metrics.toString());
        Node skip = m.graph().nodeList().get(0);
        assertEquals(List.of("SkipLayerNormalization"), m.graph().nodeList().stream().map(Node::opType).toList());
        assertEquals(List.of(x, x, g), skip.inputs());
        assertEquals(4e-5f, skip.attribute("epsilon").asFloat(), 1e-12, "4 times LayerNormalization's default");
        assertTrue(skip.output(0).isGraphOutput());
    }

    @Test
    void aNormOfAnotherRankIsLeftWithTheReason() {
        GraphBuilder b = new GraphBuilder("ln");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "tokens", 4));
        Value g = b.initializer(Tensor.ofFloats("g", new long[] {4}, 1, 1, 1, 1));
        b.output(b.op("LayerNormalization", List.of(x, g), Attribute.of("axis", -1L)));
        Model m = Model.of(b.build(), 17);
        Map<String, Object> metrics = run(m).result().metrics();
        assertEquals(0, metrics.get("norms_fused"));
        assertTrue(metrics.get("norms_left").toString().contains("rank 3"), metrics.toString());
        assertEquals("LayerNormalization", m.graph().nodeList().get(0).opType());
    }
}
