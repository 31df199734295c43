package dev.tailor.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GraphTest {

    private static GraphBuilder mlp() {
        GraphBuilder b = new GraphBuilder("mlp");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", 2));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {2, 2}, 1, 2, 3, 4));
        Value h = b.op("MatMul", x, w);
        Value y = b.op("Relu", h);
        b.output(y);
        return b;
    }

    @Test
    void usesFollowConstructionAndRewiring() {
        Graph g = mlp().build();
        List<Node> nodes = g.nodeList();
        Node matmul = nodes.get(0);
        Node relu = nodes.get(1);
        Value x = g.inputs().get(0);
        Value h = matmul.output(0);
        assertEquals(List.of(new Use(matmul, 0)), x.uses());
        assertEquals(List.of(new Use(relu, 0)), h.uses());
        assertEquals(matmul, h.producer());
        assertEquals(0, h.outputIndex());
        assertEquals(g, h.graph());

        // Bypass the MatMul: Relu now reads x directly.
        h.replaceAllUsesWith(x);
        assertEquals(List.of(), h.uses());
        assertEquals(List.of(new Use(matmul, 0), new Use(relu, 0)), x.uses());
        g.remove(matmul);
        assertEquals(List.of(new Use(relu, 0)), x.uses());
        assertEquals(List.of(), g.initializers().get(0).uses());
        assertEquals(1, g.nodeCount());
        assertNull(matmul.graph());
    }

    /** y = Relu(x W + c), with c a Constant node: bypass it all and remove from the Relu back. */
    @Test
    void removeUnusedTakesDeadChainsAndOnlyTheProducersItIsToldToFollow() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", 2));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {2, 2}, 1, 2, 3, 4));
        Node constant = b.node("", "Constant", List.of(), 1);
        constant.setAttribute(Attribute.of("value", Tensor.ofFloats("c", new long[] {2}, 1, 1)));
        Value h = b.op("MatMul", x, w);
        Value s = b.op("Add", h, constant.output(0));
        Value y = b.op("Relu", s);
        b.output(y);
        Graph g = b.build();
        y.replaceAllUsesWith(x);
        Node relu = y.producer();
        Node add = s.producer();

        g.removeUnused(List.of(relu), n -> false);
        assertEquals(3, g.nodeCount(), "only the Relu goes: the Add is not followed");
        g.removeUnused(List.of(add, h.producer()), n -> n.opType().equals("Constant"));
        assertEquals(0, g.nodeCount(), "the Add, the MatMul and the Constant it alone read");
        assertEquals(List.of(), g.initializers(), "w went with its only reader");
        assertTrue(x.isGraphOutput());
    }

    @Test
    void replaceWithHandsOverUsesNameAndType() {
        Graph g = mlp().build();
        Value y = g.outputs().get(0);
        Type type = Type.tensor(DataType.FLOAT, "batch", 2);
        y.setType(type);
        Node sigmoid = new Node("Sigmoid", List.of(y.producer().input(0)), "s");
        g.insertAfter(y.producer(), sigmoid);
        Value s = sigmoid.output(0);
        String name = y.name();
        y.replaceWith(s);
        assertEquals(List.of(s), g.outputs());
        assertEquals(name, s.name(), "the successor takes the name: the graph's interface is unchanged");
        assertEquals(type, s.type(), "the successor had no type: it takes the old one");
        assertTrue(y.name().endsWith("__replaced"));
        assertTrue(!y.hasUses() && !y.isGraphOutput());
    }

    @Test
    void replaceAllUsesWithRewiresGraphOutputs() {
        Graph g = mlp().build();
        Value y = g.outputs().get(0);
        Value x = g.inputs().get(0);
        y.replaceAllUsesWith(x);
        assertEquals(List.of(x), g.outputs());
        assertTrue(x.isGraphOutput());
    }

    @Test
    void aNodeWhoseOutputIsStillUsedCannotBeRemoved() {
        Graph g = mlp().build();
        Node matmul = g.firstNode();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.remove(matmul));
        assertTrue(e.getMessage().contains("still used"), e.getMessage());
        Node relu = g.lastNode();
        assertThrows(IllegalStateException.class, () -> g.remove(relu), "graph outputs count as uses");
    }

    @Test
    void iterationToleratesRemovingTheCurrentNode() {
        GraphBuilder b = new GraphBuilder("chain");
        Value v = b.input("x", Type.tensor(DataType.FLOAT, 3));
        for (int i = 0; i < 5; i++) v = b.op("Identity", v);
        b.output(v);
        Graph g = b.build();
        Value x = g.inputs().get(0);
        for (Node n : g.nodes()) {
            if (n.opType().equals("Identity")) {
                n.output(0).replaceAllUsesWith(n.input(0));
                g.remove(n);
            }
        }
        assertEquals(0, g.nodeCount());
        assertEquals(List.of(x), g.outputs());
    }

    @Test
    void insertionKeepsOrderAndLinks() {
        Graph g = mlp().build();
        Node matmul = g.firstNode();
        Node relu = g.lastNode();
        Node scale = g.insertAfter(matmul, new Node("Neg", List.of(matmul.output(0)), "neg"));
        relu.setInput(0, scale.output(0));
        assertEquals(List.of(matmul, scale, relu), g.nodeList());
        assertEquals(List.of(new Use(scale, 0)), matmul.output(0).uses());
        assertEquals(List.of(new Use(relu, 0)), scale.output(0).uses());
    }

    @Test
    void tensorsCheckTheirSize() {
        Tensor t = Tensor.ofFloats("t", new long[] {2, 2}, 1, 2, 3, 4);
        assertEquals(16, t.byteSize());
        assertEquals(4, t.toFloats()[3]);
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats("t", new long[] {3}, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor.elementCount(new long[] {-1}));
        assertThrows(ArithmeticException.class, () -> Tensor.elementCount(new long[] {1L << 40, 1L << 40}));
        assertEquals(2, DataType.INT4.byteSize(3));
        assertEquals(1, DataType.INT2.byteSize(3));
    }
}
