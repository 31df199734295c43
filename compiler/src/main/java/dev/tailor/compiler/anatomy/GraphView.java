package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.analysis.ShapeInference;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The main graph as anatomy reads it: topological positions, which values depend on graph inputs, shapes from
 * inference, constants (initializers and Constant nodes) and data-flow neighbours. Nodes inside subgraphs count as
 * their owning node; values a subgraph uses from outside count as inputs of that node. Edges into {@code Shape} and
 * {@code Size} carry no data and are not followed.
 */
final class GraphView {
    final Model model;
    final Graph graph;
    final ShapeInference.Result shapes;
    private final Map<Node, Integer> order = new IdentityHashMap<>();
    private final Map<Node, List<Value>> inputs = new IdentityHashMap<>();
    private final Set<Value> dynamic = Collections.newSetFromMap(new IdentityHashMap<>());
    final List<Node> nodes;

    GraphView(Model model) {
        this(model, ShapeInference.analyze(model));
    }

    /** The view with shapes already inferred for {@code model} as it is now. */
    GraphView(Model model, ShapeInference.Result shapes) {
        this.model = model;
        this.graph = model.graph();
        this.shapes = shapes;
        this.nodes = graph.nodeList();
        for (int i = 0; i < nodes.size(); i++) order.put(nodes.get(i), i);
        for (Value v : graph.inputs()) if (v.initializer() == null) dynamic.add(v);
        for (Node n : nodes) {
            List<Value> in = new ArrayList<>();
            for (Value v : n.inputs()) if (v != null) in.add(v);
            for (Graph sub : n.subgraphs()) captures(sub, in);
            inputs.put(n, in);
            boolean d = false;
            for (Value v : in) d |= dynamic.contains(v);
            if (d) for (Value o : n.outputs()) if (o != null) dynamic.add(o);
        }
    }

    /** Values a subgraph (and its nested subgraphs) uses from enclosing graphs. */
    private static void captures(Graph sub, List<Value> out) {
        Set<Value> local = Collections.newSetFromMap(new IdentityHashMap<>());
        local.addAll(sub.inputs());
        local.addAll(sub.initializers());
        for (Node n : sub.nodes()) {
            for (Value v : n.inputs()) if (v != null && !local.contains(v) && v.graph() != sub
                    && !out.contains(v)) out.add(v);
            for (Graph g : n.subgraphs()) captures(g, out);
            for (Value o : n.outputs()) if (o != null) local.add(o);
        }
    }

    // ---- order and neighbours ----

    /** Position of a main-graph node (or the main-graph node owning a subgraph node); -1 for null. */
    int pos(Node n) {
        Node t = top(n);
        Integer i = t == null ? null : order.get(t);
        return i == null ? -1 : i;
    }

    /** Position of a value's producer; -1 for graph inputs and initializers. */
    int pos(Value v) {
        return v.producer() == null ? -1 : pos(v.producer());
    }

    /** The main-graph node that is {@code n} or holds it in a subgraph. */
    Node top(Node n) {
        while (n != null && n.graph() != graph) {
            Graph g = n.graph();
            if (g == null || g.owner() == null) return null;
            n = g.owner();
        }
        return n;
    }


    /** Inputs of a node, with values its subgraphs capture; nulls dropped. */
    List<Value> inputs(Node n) {
        List<Value> in = inputs.get(n);
        return in != null ? in : n.inputs().stream().filter(v -> v != null).toList();
    }

    /** Main-graph nodes using {@code v} (directly or from a subgraph), in use order, without duplicates. */
    List<Node> users(Value v) {
        Set<Node> out = new LinkedHashSet<>();
        for (Use u : v.uses()) {
            Node t = top(u.node());
            if (t != null) out.add(t);
        }
        return List.copyOf(out);
    }

    /** Users that read {@code v} as data (not {@code Shape}/{@code Size}). */
    List<Node> dataUsers(Value v) {
        List<Node> out = new ArrayList<>();
        for (Node n : users(v)) if (!isShapeOnly(n)) out.add(n);
        return out;
    }

    static boolean isShapeOnly(Node n) {
        return n.domainName().isEmpty() && (n.opType().equals("Shape") || n.opType().equals("Size"));
    }

    // ---- values ----

    /** True when the value depends on a graph input (it is not a constant of the model). */
    boolean isDynamic(Value v) {
        return v != null && dynamic.contains(v);
    }

    Type.Tensor tensorType(Value v) {
        return shapes.type(v) instanceof Type.Tensor t ? t : null;
    }

    DataType dtype(Value v) {
        Type.Tensor t = tensorType(v);
        if (t != null && t.elementType() != null) return t.elementType();
        Tensor c = constant(v);
        return c == null ? null : c.dataType();
    }

    /** True when the element type is floating point, or unknown. */
    boolean floatOrUnknown(Value v) {
        DataType d = dtype(v);
        return d == null || d.isFloatingPoint();
    }

    boolean isFloat(Value v) {
        DataType d = dtype(v);
        return d != null && d.isFloatingPoint();
    }

    Shape shape(Value v) {
        Tensor c = constant(v);
        if (c != null) return Shape.of(c.dims());
        return shapes.shape(v);
    }

    int rank(Value v) {
        Shape s = shape(v);
        return s == null ? -1 : s.rank();
    }

    /** The size of the last dimension when known, else -1. */
    long lastDim(Value v) {
        Shape s = shape(v);
        if (s == null || s.rank() == 0) return -1;
        Dim d = s.dim(s.rank() - 1);
        return d.isKnown() ? d.value() : -1;
    }

    /** The tensor held by an initializer or a {@code Constant} node's {@code value}, or null. */
    Tensor constant(Value v) {
        if (v == null) return null;
        if (v.initializer() != null) return v.initializer();
        Node p = v.producer();
        if (p != null && p.opType().equals("Constant") && p.domainName().isEmpty()) {
            Attribute a = p.attribute("value");
            if (a != null && a.kind() == Attribute.Kind.TENSOR && a.value() != null) return a.asTensor();
        }
        return null;
    }

    /** The value of a constant scalar (or one-element tensor) of any numeric type, or null. */
    Double scalar(Value v) {
        v = stripCasts(v);
        Node p = v.producer();
        if (p != null && p.opType().equals("Constant") && p.domainName().isEmpty()) {
            Attribute f = p.attribute("value_float");
            if (f != null && f.kind() == Attribute.Kind.FLOAT) return widen(f.asFloat());
            Attribute i = p.attribute("value_int");
            if (i != null && i.kind() == Attribute.Kind.INT) return (double) i.asInt();
        }
        Tensor t = constant(v);
        if (t == null || t.elementCount() != 1 || t.dataType() == null || t.data() == null) return null;
        ByteBuffer b = t.bytes();
        return switch (t.dataType()) {
            case FLOAT -> widen(b.getFloat(0));
            case DOUBLE -> b.getDouble(0);
            case INT64 -> (double) b.getLong(0);
            case INT32 -> (double) b.getInt(0);
            case FLOAT16 -> half(b.getShort(0));
            case BFLOAT16 -> (double) Float.intBitsToFloat((b.getShort(0) & 0xffff) << 16);
            default -> null;
        };
    }

    /** A float as the decimal it prints as (1e-12f becomes 1.0E-12, not 9.999999960041972E-13). */
    static double widen(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /** IEEE 754 half precision to double. */
    static double half(short h) {
        int sign = (h >> 15) & 1;
        int exp = (h >> 10) & 0x1f;
        int frac = h & 0x3ff;
        double v = exp == 0 ? frac * Math.pow(2, -24) : exp == 31 ? (frac == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                : (1 + frac / 1024.0) * Math.pow(2, exp - 15);
        return sign == 1 ? -v : v;
    }

    /** Known contents of a small integer tensor (constant or shape computation), or null. */
    long[] ints(Value v) {
        if (v == null) return null;
        long[] known = shapes.constantValue(v);
        if (known != null) return known;
        Tensor t = constant(v);
        if (t == null || t.dataType() == null || t.data() == null || t.elementCount() > 1024) return null;
        ByteBuffer b = t.bytes();
        long[] out = new long[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) {
            switch (t.dataType()) {
                case INT64 -> out[i] = b.getLong(i * 8);
                case INT32 -> out[i] = b.getInt(i * 4);
                default -> {
                    return null;
                }
            }
        }
        return out;
    }

    /** Follows value-preserving operators back: Identity, Dropout, and Casts between floating-point types. */
    Value stripCasts(Value v) {
        while (v != null && v.producer() != null) {
            Node p = v.producer();
            if (!p.domainName().isEmpty()) break;
            String op = p.opType();
            if (op.equals("Identity") || (op.equals("Dropout") && v.outputIndex() == 0)) {
                v = p.input(0);
            } else if (op.equals("Cast") && isFloat(p.input(0)) && floatOrUnknown(v)) {
                v = p.input(0);
            } else break;
        }
        return v;
    }

    /** As {@link #stripCasts}, and through layout changes: Reshape, Transpose, Squeeze, Unsqueeze, Flatten. */
    Value stripLayout(Value v) {
        while (v != null && v.producer() != null) {
            Value s = stripCasts(v);
            if (s != v) {
                v = s;
                continue;
            }
            Node p = v.producer();
            if (!p.domainName().isEmpty()) break;
            switch (p.opType()) {
                case "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten" -> v = p.input(0);
                default -> {
                    return v;
                }
            }
        }
        return v;
    }

    static boolean is(Node n, String op) {
        return n != null && n.opType().equals(op) && n.domainName().isEmpty();
    }

    static boolean isMs(Node n, String op) {
        return n != null && n.opType().equals(op) && n.domainName().equals("com.microsoft");
    }


    static long intAttr(Node n, String name, long dflt) {
        Attribute a = n.attribute(name);
        return a != null && a.kind() == Attribute.Kind.INT && a.value() != null ? a.asInt() : dflt;
    }

    static Double floatAttr(Node n, String name) {
        Attribute a = n.attribute(name);
        return a != null && a.kind() == Attribute.Kind.FLOAT && a.value() != null ? widen(a.asFloat()) : null;
    }

    static long[] intsAttr(Node n, String name) {
        Attribute a = n.attribute(name);
        return a != null && a.kind() == Attribute.Kind.INTS && a.value() != null ? a.asInts() : null;
    }

    static String stringAttr(Node n, String name) {
        Attribute a = n.attribute(name);
        return a != null && a.kind() == Attribute.Kind.STRING && a.value() != null ? a.asString() : null;
    }

    /** How a node is named in reports: its name, or its first output's. */
    static String label(Node n) {
        String d = n.domainName();
        String op = (d.isEmpty() ? "" : d + ".") + n.opType();
        String name = n.name() != null && !n.name().isEmpty() ? n.name()
                : n.outputs().isEmpty() || n.output(0) == null ? "?" : n.output(0).name();
        return op + " '" + name + "'";
    }
}
