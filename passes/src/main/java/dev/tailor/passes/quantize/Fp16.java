package dev.tailor.passes.quantize;

import dev.tailor.compiler.analysis.ShapeInference;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Float16 conversion: every node that computes in float32 computes in float16 instead, its float constants
 * converted (finite values beyond float16's range clamp to ±65504), except the nodes {@code keepFloat} names and
 * those the selection leaves out, which stay float32 islands. A {@code Cast} is placed on every float edge that
 * crosses between the two precisions, once per value and direction; an elementwise node whose float inputs all
 * come from float32 stays float32, so a norm's arithmetic does not bounce between the types. With
 * {@code keepIoTypes}, graph inputs and outputs keep float32 (casts at the edges, output names unchanged).
 * Nodes with subgraphs stay float32, and outer values their subgraphs read are given to them in float32.
 */
final class Fp16 {
    private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Neg", "Abs", "Max", "Min",
            "Where", "Sqrt", "Reciprocal");
    /** Ops whose output element type an attribute fixes (other than Cast and ConstantOfShape, handled), or whose float inputs must be float32. */
    private static final Set<String> ALWAYS_FLOAT32 = Set.of("RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "EyeLike", "Multinomial", "Bernoulli", "Resize", "Upsample", "Range");

    private final Rewriter rw;
    private final Set<String> keepFloat;
    private final Predicate<Node> selected;
    private final boolean keepIoTypes;
    private final Map<Value, Value> toHalf = new IdentityHashMap<>();
    private final Map<Value, Value> toFloat = new IdentityHashMap<>();
    /** Values now carried in float16. */
    private final Set<Value> half = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    int converted;
    int kept;
    int casts;
    int constants;

    Fp16(Rewriter rw, Set<String> keepFloat, Predicate<Node> selected, boolean keepIoTypes) {
        this.rw = rw;
        this.keepFloat = keepFloat;
        this.selected = selected;
        this.keepIoTypes = keepIoTypes;
    }

    void run() {
        Graph g = rw.graph;
        ShapeInference.Result types = ShapeInference.analyze(rw.model);
        Predicate<Value> isFloat = v -> v != null && types.type(v) instanceof Type.Tensor t && t.elementType() == DataType.FLOAT;
        if (!keepIoTypes) {
            for (Value in : g.inputs()) {
                if (in.initializer() == null && isFloat.test(in)) {
                    in.setType(halfType(in.type()));
                    half.add(in);
                }
            }
        }
        for (Node n : g.nodeList()) {
            if (rw.made.contains(n)) continue;
            boolean hasFloat = n.outputs().stream().anyMatch(isFloat) || n.inputs().stream().anyMatch(isFloat);
            if (!hasFloat) continue;
            // An elementwise node whose computed float inputs are all float32 stays float32 (a norm's arithmetic).
            List<Value> computed = n.inputs().stream().filter(v -> isFloat.test(v) && !v.isConstant()).toList();
            boolean onFloat32 = ELEMENTWISE.contains(n.opType()) && !computed.isEmpty()
                    && computed.stream().noneMatch(half::contains);
            String domain = n.domainName();
            boolean lowPrecision = selected.test(n) && !keepFloat.contains(n.opType())
                    && !ALWAYS_FLOAT32.contains(n.opType()) && n.subgraphs().isEmpty()
                    && (domain.isEmpty() || domain.equals(Rewriter.MS)) && !onFloat32;
            for (int i = 0; i < n.inputs().size(); i++) {
                Value in = n.input(i);
                if (!isFloat.test(in)) continue;
                Value want = lowPrecision ? asHalf(in) : asFloat(in);
                if (want != in) n.setInput(i, want);
            }
            if (!lowPrecision) {
                kept++;
                continue;
            }
            converted++;
            convertAttributes(n);
            for (Value o : n.outputs()) {
                if (o != null && (isFloat.test(o) || half.contains(o))) {
                    o.setType(halfType(types.type(o)));
                    half.add(o);
                }
            }
        }
        // Float originals of converted constants that nothing reads any more.
        for (Value v : toHalf.keySet())
            if (v.initializer() != null && !v.hasUses() && !v.isGraphOutput() && !v.isGraphInput()) g.removeInitializer(v);
        // Outer values read inside subgraphs, and graph outputs.
        for (Value v : List.copyOf(half)) {
            for (Use u : v.uses()) if (u.node().graph() != g) u.node().setInput(u.index(), asFloat(v));
        }
        if (keepIoTypes) {
            for (int o = 0; o < g.outputs().size(); o++) {
                Value v = g.outputs().get(o);
                if (!half.contains(v)) continue;
                Value f = asFloat(v);
                String name = v.name();
                v.setName(rw.fresh(name + "_fp16"));
                f.setName(name);
                g.setOutput(o, f);
            }
        }
    }

    /** Cast attributes to float become float16; float Constant and ConstantOfShape values are converted. */
    private void convertAttributes(Node n) {
        switch (n.opType()) {
            case "Cast" -> {
                Attribute to = n.attribute("to");
                if (to != null && to.asInt() == DataType.FLOAT.code()) {
                    n.setAttribute(Attribute.of("to", (long) DataType.FLOAT16.code()));
                    half.add(n.output(0));
                }
            }
            case "Constant", "ConstantOfShape" -> {
                Attribute v = n.attribute("value");
                if (v != null && v.kind() == Attribute.Kind.TENSOR && v.asTensor().dataType() == DataType.FLOAT) {
                    n.setAttribute(Attribute.of("value", halfTensor(v.asTensor(), v.asTensor().name())));
                    half.add(n.output(0));
                    constants++;
                }
                Attribute vf = n.attribute("value_float");
                if (vf != null) {
                    n.removeAttribute("value_float");
                    n.setAttribute(Attribute.of("value", halfTensor(Tensor.ofFloats("value", new long[0], vf.asFloat()), "value")));
                    half.add(n.output(0));
                    constants++;
                }
                Attribute vfs = n.attribute("value_floats");
                if (vfs != null) {
                    float[] f = vfs.asFloats();
                    n.removeAttribute("value_floats");
                    n.setAttribute(Attribute.of("value", halfTensor(Tensor.ofFloats("value", new long[] {f.length}, f), "value")));
                    half.add(n.output(0));
                    constants++;
                }
            }
            default -> {}
        }
    }

    /** {@code v} in float16: itself, a converted copy of a constant, or a Cast after its producer. */
    private Value asHalf(Value v) {
        if (half.contains(v)) return v;
        return toHalf.computeIfAbsent(v, x -> {
            if (x.initializer() != null && !x.isGraphInput()) {
                constants++;
                Value c = rw.graph.addInitializer(halfTensor(x.initializer(), rw.fresh(x.name() + "_fp16")));
                c.setType(halfType(x.type()));
                half.add(c);
                return c;
            }
            Value c = cast(x, DataType.FLOAT16);
            half.add(c);
            return c;
        });
    }

    /** {@code v} in float32: itself, or a Cast after its float16 producer. */
    private Value asFloat(Value v) {
        if (!half.contains(v)) return v;
        return toFloat.computeIfAbsent(v, x -> cast(x, DataType.FLOAT));
    }

    private Value cast(Value v, DataType to) {
        casts++;
        Node anchor = v.producer();
        Attribute a = Attribute.of("to", (long) to.code());
        String base = v.name() + (to == DataType.FLOAT16 ? "_to_fp16" : "_to_fp32");
        Node c;
        if (anchor != null && anchor.graph() == rw.graph) c = rw.nodeAfter(anchor, null, "Cast", base, List.of(v), 1, a);
        else c = rw.node(rw.graph.firstNode(), null, "Cast", base, List.of(v), 1, a);
        Type t = v.type();
        if (t instanceof Type.Tensor tt) c.output(0).setType(new Type.Tensor(to, tt.shape()));
        return c.output(0);
    }

    static Type halfType(Type t) {
        if (t instanceof Type.Tensor tt) return new Type.Tensor(DataType.FLOAT16, tt.shape(), tt.denotation());
        return Type.tensor(DataType.FLOAT16);
    }

    static Tensor halfTensor(Tensor t, String name) {
        float[] f = t.toFloats();
        ByteBuffer b = ByteBuffer.allocate(f.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : f) b.putShort(QuantMath.toHalf(x, true));
        return Tensor.of(name, DataType.FLOAT16, t.dims(), new HeapData(b.array()));
    }
}
