package dev.tailor.compiler.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Terse construction of graphs for tests and passes:
 * <pre>{@code
 * GraphBuilder b = new GraphBuilder("mlp");
 * Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", 4));
 * Value w = b.initializer(Tensor.ofFloats("w", new long[] {4, 4}, data));
 * Value y = b.op("Relu", b.op("MatMul", x, w));
 * b.output(y);
 * Model m = Model.of(b.build(), 17);
 * }</pre>
 * Output names are generated ({@code opType_N}) unless given with {@link #node}.
 */
public final class GraphBuilder {
    private final Graph graph;
    private int counter;

    public GraphBuilder(String name) {
        this.graph = new Graph(name);
    }

    public Value input(String name, Type type) {
        return graph.addInput(new Value(name, type));
    }

    public Value initializer(Tensor tensor) {
        return graph.addInitializer(tensor);
    }

    /** Appends an ONNX-domain node with one output and returns that output. */
    public Value op(String opType, Value... inputs) {
        return node(null, opType, Arrays.asList(inputs), 1).output(0);
    }

    /** Appends an ONNX-domain node with one output and the given attributes. */
    public Value op(String opType, List<Value> inputs, Attribute... attributes) {
        Node n = node(null, opType, inputs, 1);
        for (Attribute a : attributes) n.setAttribute(a);
        return n.output(0);
    }

    /** Appends a node with {@code outputs} fresh outputs. */
    public Node node(String domain, String opType, List<Value> inputs, int outputs) {
        List<String> names = new ArrayList<>(outputs);
        String base = opType + "_" + counter++;
        for (int i = 0; i < outputs; i++) names.add(outputs == 1 ? base : base + "_" + i);
        Node n = new Node(domain, opType, inputs, names);
        n.setName(base);
        return graph.append(n);
    }

    /** Appends a node whose outputs have the given names. */
    public Node node(String opType, List<Value> inputs, String... outputNames) {
        Node n = new Node(opType, inputs, outputNames);
        return graph.append(n);
    }

    public GraphBuilder output(Value... values) {
        for (Value v : values) graph.addOutput(v);
        return this;
    }

    public Graph build() {
        return graph;
    }
}
