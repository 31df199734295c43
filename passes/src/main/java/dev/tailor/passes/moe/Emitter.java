package dev.tailor.passes.moe;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the converted FFN's nodes: fresh names under one prefix ({@code b3_ffn_moe_…}), new initializers, and
 * nodes inserted before an anchor (the down projection, after which nothing of the FFN's input is computed), so
 * the graph stays in order.
 */
final class Emitter {
    private final Graph graph;
    private final FreshNames names;
    private Node anchor;
    private String prefix = "moe";

    Emitter(Model model) {
        this.graph = model.graph();
        this.names = FreshNames.of(graph);
    }

    /** New nodes go before {@code node}; names start with {@code prefix}. */
    Emitter at(Node node, String namePrefix) {
        this.anchor = node;
        this.prefix = namePrefix;
        return this;
    }

    String fresh(String base) {
        return names.fresh(prefix + "_" + base);
    }

    Value floats(String base, long[] dims, float[] values) {
        return graph.addInitializer(Tensor.ofFloats(fresh(base), dims, values));
    }

    Value longs(String base, long[] dims, long... values) {
        return graph.addInitializer(Tensor.ofLongs(fresh(base), dims, values));
    }

    /** A node of the ONNX domain with one output. */
    Value op(String opType, List<Value> inputs, Attribute... attributes) {
        return node(null, opType, inputs, 1, attributes).output(0);
    }

    Node node(String domain, String opType, List<Value> inputs, int outputs, Attribute... attributes) {
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) outs.add(fresh(opType.toLowerCase() + (outputs > 1 ? "_" + i : "")));
        Node n = new Node(domain, opType, inputs, outs);
        n.setName(fresh(opType));
        for (Attribute a : attributes) n.setAttribute(a);
        graph.insertBefore(anchor, n);
        return n;
    }

    /** A copy of {@code original} reading {@code inputs}, with its attributes. */
    Node copy(Node original, List<Value> inputs) {
        Node n = node(original.domain(), original.opType(), inputs, original.outputs().size());
        for (Attribute a : original.attributes()) n.setAttribute(a);
        return n;
    }

    /** Makes every reader of {@code v} read {@code v + addend} instead (the Add goes right after v's producer). */
    void addToReaders(Value v, Value addend) {
        List<Use> uses = List.copyOf(v.uses());
        Node add = new Node(null, "Add", list(v, addend), List.of(fresh("add")));
        add.setName(fresh("Add"));
        graph.insertAfter(v.producer(), add);
        for (Use u : uses) u.node().setInput(u.index(), add.output(0));
    }

    static List<Value> list(Value... values) {
        return Arrays.asList(values);
    }
}
