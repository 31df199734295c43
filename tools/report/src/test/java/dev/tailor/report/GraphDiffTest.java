package dev.tailor.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.report.DiffReport.Kind;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class GraphDiffTest {

    /** x → MatMul(w) → Relu → Identity → Add(b) → y, node names given by {@code prefix}. */
    static Model original(String prefix) {
        GraphBuilder g = new GraphBuilder("g");
        Value x = g.input("x", Type.tensor(DataType.FLOAT, "batch", "seq", 4));
        Value w = g.initializer(Tensor.ofFloats("w", new long[] {4, 4}, new float[16]));
        Value bias = g.initializer(Tensor.ofFloats("b", new long[] {4}, 1, 2, 3, 4));
        Value y = g.op("Add", g.op("Identity", g.op("Relu", g.op("MatMul", x, w))), bias);
        g.output(y);
        Model m = Model.of(g.build(), 17);
        rename(m, prefix);
        return m;
    }

    private static void rename(Model m, String prefix) {
        int i = 0;
        for (Node n : m.graph().nodes()) {
            n.setName(prefix + i);
            for (Value v : n.outputs()) if (!v.isGraphOutput()) v.setName(prefix + "v" + i);
            i++;
        }
    }

    @Test
    void renamedNodesAndValuesStillMatch() {
        DiffReport r = GraphDiff.compare("a", original("a_"), "b", original("renamed/"));
        assertEquals(0, r.matching().byName());
        assertEquals(4, r.matching().byStructure());
        assertEquals(List.of(), r.nodes());
        assertEquals(List.of(), r.initializers());
    }

    @Test
    void identicalNamesMatchByName() {
        DiffReport r = GraphDiff.compare("a", original("n"), "b", original("n"));
        assertEquals(4, r.matching().byName());
        assertEquals(0, r.matching().byStructure());
        assertTrue(r.nodes().isEmpty());
    }

    /**
     * After: Relu becomes Sigmoid, Identity is gone, a Mul by a new scale is added, and w becomes float16. So 2
     * removed (Relu, Identity), 2 added (Sigmoid, Mul), 2 changed (MatMul: its weight's type; Add: its input).
     */
    static Model edited() {
        GraphBuilder g = new GraphBuilder("g");
        Value x = g.input("x", Type.tensor(DataType.FLOAT, "batch", "seq", 4));
        Value w = g.initializer(Tensor.of("w", DataType.FLOAT16, new long[] {4, 4}, new HeapData(new byte[32])));
        Value bias = g.initializer(Tensor.ofFloats("b", new long[] {4}, 1, 2, 3, 4));
        Value scale = g.initializer(Tensor.ofFloats("scale", new long[] {1}, 0.5f));
        Value s = g.op("Sigmoid", g.op("MatMul", x, w));
        g.output(g.op("Add", g.op("Mul", s, scale), bias));
        Model m = Model.of(g.build(), 17);
        rename(m, "other_");
        return m;
    }

    @Test
    void countsAddedRemovedAndChangedExactly() {
        DiffReport r = GraphDiff.compare("a", original("a_"), "b", edited());
        Map<Kind, List<String>> byKind = r.nodes().stream().collect(Collectors.groupingBy(DiffReport.NodeChange::kind,
                Collectors.mapping(DiffReport.NodeChange::opType, Collectors.toList())));
        assertEquals(List.of("Relu", "Identity"), byKind.get(Kind.REMOVED));
        assertEquals(List.of("Sigmoid", "Mul"), byKind.get(Kind.ADDED));
        assertEquals(List.of("MatMul", "Add"), byKind.get(Kind.CHANGED));
        DiffReport.NodeChange matmul = r.nodes().stream().filter(n -> n.opType().equals("MatMul")).findFirst()
                .orElseThrow();
        assertEquals(List.of("input 1 constant float[4, 4] -> float16[4, 4]"), matmul.reasons());
        DiffReport.NodeChange add = r.nodes().stream().filter(n -> n.opType().equals("Add")).findFirst().orElseThrow();
        assertEquals(List.of("input 0 Identity 'a_v2' -> Mul 'other_v2'"), add.reasons());

        assertEquals(List.of(
                new DiffReport.InitializerChange(Kind.CHANGED, "w", "w", "float", "float16", "[4, 4]", "[4, 4]", 64, 32),
                new DiffReport.InitializerChange(Kind.ADDED, null, "scale", null, "float", null, "[1]", 0, 4)),
                r.initializers());
        DiffReport.OpTypeChange relu = r.opTypes().stream().filter(o -> o.opType().equals("Relu")).findFirst()
                .orElseThrow();
        assertEquals(new DiffReport.OpTypeChange("Relu", 1, 0, 0, 1, 0), relu);

        assertEquals(20, r.before().parameters());
        assertEquals(21, r.after().parameters());
        assertEquals(80, r.before().weightBytes());
        assertEquals(52, r.after().weightBytes());
        // MatMul [1, seq, 4] x [4, 4]: 2 * 4 * 4 per position.
        assertEquals(32, r.before().flops().perToken());
        assertEquals(32, r.after().flops().perToken());
        assertEquals(List.of(), r.before().flops().unestimated());
    }

    @Test
    void aConvertedNodeKeepsItsName() {
        Model a = original("n");
        Model b = original("n");
        Node relu = b.graph().nodeList().get(1);
        relu.setOpType("Gelu");
        DiffReport r = GraphDiff.compare("a", a, "b", b);
        assertEquals(1, r.nodes().size());
        assertEquals(new DiffReport.NodeChange(Kind.CHANGED, "Gelu", "n1", "n1", List.of("op Relu -> Gelu")),
                r.nodes().get(0));
    }

    @Test
    void quantizedWeightsPairByNamePrefix() {
        GraphBuilder g = new GraphBuilder("g");
        Value x = g.input("x", Type.tensor(DataType.FLOAT, "batch", "seq", 4));
        Value w = g.initializer(Tensor.of("w_quantized", DataType.INT8, new long[] {4, 4},
                new HeapData(new byte[16])));
        g.output(g.op("MatMulInteger", x, w));
        GraphBuilder f = new GraphBuilder("g");
        Value fx = f.input("x", Type.tensor(DataType.FLOAT, "batch", "seq", 4));
        f.output(f.op("MatMul", fx, f.initializer(Tensor.ofFloats("w", new long[] {4, 4}, new float[16]))));
        DiffReport r = GraphDiff.compare("a", Model.of(f.build(), 17), "b", Model.of(g.build(), 17));
        assertEquals(List.of(new DiffReport.InitializerChange(Kind.CHANGED, "w", "w_quantized", "float", "int8",
                "[4, 4]", "[4, 4]", 64, 16)), r.initializers());
        assertEquals(16, r.after().parameters());
        assertEquals(16, r.after().weightBytes());
        assertEquals(32, r.after().flops().perToken());
    }

    @Test
    void unknownShapesAreListedNotGuessed() {
        GraphBuilder g = new GraphBuilder("g");
        Value x = g.input("x", Type.tensor(DataType.FLOAT, "batch", 4));
        Value y = g.input("y", new Type.Unset(null));
        g.output(g.op("MatMul", x, y));
        Model m = Model.of(g.build(), 17);
        DiffReport r = GraphDiff.compare("a", m, "b", m);
        assertEquals(0, r.before().flops().counted());
        assertEquals(List.of("MatMul_0"), r.before().flops().unestimated());
        assertNull(r.blockMap());
        assertFalse(r.before().flops().unestimated().isEmpty());
    }
}
