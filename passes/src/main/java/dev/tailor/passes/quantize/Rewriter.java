package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The IR mechanics the quantizers share: fresh names, new initializers and nodes placed in order, caches so that a
 * weight (tied, shared) is quantized once and an activation quantized once for all its consumers, and the final
 * switch of a site's users from its float output to its replacement, keeping the value's name.
 */
final class Rewriter {
    static final String MS = "com.microsoft";

    final Model model;
    final Graph graph;
    private final FreshNames names;
    /** Cache of made things keyed by the value they derive from and a description of how. */
    private final Map<Value, Map<String, Object>> cache = new IdentityHashMap<>();
    /** Nodes this rewriter made, for the report and for clean-up. */
    final Set<Node> made = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    Rewriter(Model model) {
        this.model = model;
        this.graph = model.graph();
        this.names = FreshNames.of(graph);
    }

    String fresh(String base) {
        return names.fresh(base);
    }

    @SuppressWarnings("unchecked")
    <T> T cached(Value from, String how, java.util.function.Supplier<T> make) {
        Map<String, Object> m = cache.computeIfAbsent(from, k -> new HashMap<>());
        Object o = m.get(how);
        if (o == null) {
            o = make.get();
            m.put(how, o);
        }
        return (T) o;
    }

    Value initializer(String base, DataType type, long[] dims, byte[] bytes) {
        return graph.addInitializer(Tensor.of(fresh(base), type, dims, new HeapData(bytes)));
    }

    Value floats(String base, long[] dims, float... values) {
        return graph.addInitializer(Tensor.ofFloats(fresh(base), dims, values));
    }

    Value halves(String base, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(QuantMath.toHalf(v, true));
        return initializer(base, DataType.FLOAT16, dims, b.array());
    }

    /** Integer zero points as {@code type} (int8, uint8, or packed int4/uint4). */
    Value zeroPoints(String base, DataType type, long[] dims, int[] values) {
        byte[] bytes;
        if (type.bits() == 4) bytes = QuantMath.pack4(values);
        else {
            bytes = new byte[values.length];
            for (int i = 0; i < values.length; i++) bytes[i] = (byte) values[i];
        }
        return initializer(base, type, dims, bytes);
    }

    /** A new node with fresh output names placed before {@code anchor} (or appended when null). */
    Node node(Node anchor, String domain, String op, String base, List<Value> inputs, int outputs,
              Attribute... attributes) {
        return node(anchor, false, domain, op, base, inputs, outputs, attributes);
    }

    /** A new node placed after {@code anchor}. */
    Node nodeAfter(Node anchor, String domain, String op, String base, List<Value> inputs, int outputs,
                   Attribute... attributes) {
        return node(anchor, true, domain, op, base, inputs, outputs, attributes);
    }

    private Node node(Node anchor, boolean after, String domain, String op, String base, List<Value> inputs,
                      int outputs, Attribute... attributes) {
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) outs.add(fresh(base + (outputs == 1 ? "" : "_" + i) + "_out"));
        Node n = new Node(domain, op, inputs, outs);
        n.setName(fresh(base));
        for (Attribute a : attributes) n.setAttribute(a);
        if (anchor == null) graph.append(n);
        else if (after) graph.insertAfter(anchor, n);
        else graph.insertBefore(anchor, n);
        if (domain != null && !domain.isEmpty()) requireOpset(domain, 1);
        made.add(n);
        return n;
    }

    /** Ensures the model imports {@code domain}. */
    void requireOpset(String domain, long version) {
        if (model.opsetVersion(domain) < 0) model.opsets().add(new OpsetImport(domain, version));
    }

    long onnxOpset() {
        return model.opsetVersion("");
    }

    /**
     * Removes the nodes of {@code candidates} (and their constant inputs) that nothing uses any more, and the nodes
     * this rewriter made that fed only them, so that whole dead chains disappear. Other nodes are never touched.
     */
    void removeDead(List<Node> candidates) {
        graph.removeUnused(candidates, made::contains);
    }

    /** Bytes of every initializer of the main graph. */
    static long initializerBytes(Graph g) {
        long total = 0;
        for (Value v : g.initializers()) total += v.initializer().byteSize();
        return total;
    }
}
