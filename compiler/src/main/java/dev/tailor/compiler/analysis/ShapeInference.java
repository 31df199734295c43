package dev.tailor.compiler.analysis;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Function;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Type and shape inference over the IR, with symbolic dimensions carried through: a MatMul of
 * {@code [batch, seq, 384]} by {@code [384, 1536]} gives {@code [batch, seq, 1536]}. Element types come from the
 * operator schemas ({@link OpSchemas}): an output constrained to the same type parameter as an input gets that
 * input's type; shapes come from a rule per operator ({@link ShapeRules}).
 *
 * <p>Small integer tensors used as shapes are tracked by content as well ({@link Result#constantValue},
 * {@link Result#dimsValue}): initializers, {@code Constant} nodes, and what {@code Shape}, {@code Gather},
 * {@code Unsqueeze}, {@code Squeeze}, {@code Concat}, {@code Slice}, {@code Cast}, integer arithmetic,
 * {@code Equal}, {@code Where} and friends compute from them, symbols included; so the
 * Shape→Gather→Unsqueeze→Concat→Reshape chains exporters write give {@code Reshape} a known target shape.
 *
 * <p>Subgraphs of {@code If} and {@code Loop} are inferred too (outer values keep their types). Function bodies
 * and nodes calling model-local functions are not inferred. Every node output that gets no type, or a type
 * without a shape, is reported in {@link Result#problems()} with the reason. A type the file declared for a node
 * output (value_info) is kept where inference knows less, and a declaration that contradicts inference is
 * reported; inference wins.
 */
public final class ShapeInference {
    /** Integer tensors with at most this many elements are tracked by content. */
    static final int VALUE_LIMIT = 1024;

    private final OpSchemas schemas;
    final Map<Value, Type> types = new IdentityHashMap<>();
    final Map<Value, List<Sym>> values = new IdentityHashMap<>();
    private final List<Problem> problems = new ArrayList<>();
    private final Set<String> localFunctions = new HashSet<>();
    private int outputs;
    private int shaped;

    /** A node output that inference could not fully type, and why. */
    public record Problem(Node node, String element, String reason) {
        @Override
        public String toString() {
            return element + ": " + reason;
        }
    }

    /** Signals that a rule cannot compute an output; the message is the reason, for the report. */
    static final class CannotInfer extends RuntimeException {
        CannotInfer(String reason) {
            super(reason, null, false, false);
        }
    }

    private ShapeInference(OpSchemas schemas) {
        this.schemas = schemas;
    }

    /**
     * Infers types for {@code model} and records them in the IR: every node output whose type could be inferred
     * gets it ({@link Value#setType}). Graph inputs, initializers and the model's value_info list are left as
     * they are; see {@link Result#recordValueInfo()} to list inferred values for emission.
     */
    public static Result infer(Model model) {
        Result r = analyze(model);
        for (Map.Entry<Value, Type> e : r.inference.types.entrySet()) {
            Value v = e.getKey();
            if (v.producer() != null && e.getValue() != null) v.setType(e.getValue());
        }
        return r;
    }

    /** Infers types for {@code model} without changing it. */
    public static Result analyze(Model model) {
        return analyze(model, OpSchemas.standard());
    }

    static Result analyze(Model model, OpSchemas schemas) {
        ShapeInference s = new ShapeInference(schemas);
        for (Function f : model.functions()) s.localFunctions.add(OpSchemas.canonicalDomain(f.domain()) + "::" + f.name());
        Map<String, Long> opsets = new HashMap<>();
        for (OpsetImport o : model.opsets())
            if (o.version() != null) opsets.put(OpSchemas.canonicalDomain(o.domainName()), o.version());
        if (model.graph() != null) s.graph(model.graph(), opsets);
        return new Result(s);
    }

    /** What inference found. */
    public static final class Result {
        private final ShapeInference inference;

        private Result(ShapeInference inference) {
            this.inference = inference;
        }

        /** The inferred (or declared) type of {@code v}, or null when unknown. */
        public Type type(Value v) {
            Type t = inference.types.get(v);
            return t != null ? t : TypeStrings.typeOf(v);
        }

        /** The shape of {@code v} when it is a tensor of known rank, else null. */
        public Shape shape(Value v) {
            return type(v) instanceof Type.Tensor t ? t.shape() : null;
        }

        /**
         * The contents of {@code v} when it is a small integer (or bool) tensor of rank 0 or 1 whose every element
         * is known: an initializer, a Constant, or a shape computation over known sizes. Null otherwise.
         */
        public long[] constantValue(Value v) {
            List<Sym> s = inference.values.get(v);
            if (s == null) return null;
            long[] out = new long[s.size()];
            for (int i = 0; i < out.length; i++) {
                if (!s.get(i).known()) return null;
                out[i] = s.get(i).value();
            }
            return out;
        }

        /**
         * The contents of a small integer tensor of rank 0 or 1 element by element, as dimensions: known sizes,
         * symbols (such as the {@code batch} of {@code Shape(x)}), or unknown (also for negative numbers, such as
         * Reshape's -1). Null when the tensor is not tracked.
         */
        public List<Dim> dimsValue(Value v) {
            List<Sym> s = inference.values.get(v);
            if (s == null) return null;
            List<Dim> out = new ArrayList<>(s.size());
            for (Sym e : s) out.add(e.toDim());
            return Collections.unmodifiableList(out);
        }

        /** Node outputs that got no type, or a type without a shape, and why; also declarations that contradict inference. */
        public List<Problem> problems() {
            return Collections.unmodifiableList(inference.problems);
        }

        /** Node outputs seen (main graph and subgraphs). */
        public int outputs() {
            return inference.outputs;
        }

        /** Node outputs that got a type with a shape (rank known). */
        public int shapedOutputs() {
            return inference.shaped;
        }

        /**
         * Adds every node output of the main graph and its subgraphs that has an inferred tensor type and is not a
         * graph output to its graph's value_info, so that written models carry the shapes. Returns how many were
         * added.
         */
        public int recordValueInfo() {
            int added = 0;
            for (Map.Entry<Value, Type> e : inference.types.entrySet()) {
                Value v = e.getKey();
                Graph g = v.graph();
                if (v.producer() == null || g == null || e.getValue() == null || v.isGraphOutput()) continue;
                if (g.valueInfo().contains(v)) continue;
                v.setType(e.getValue());
                g.addValueInfo(v);
                added++;
            }
            return added;
        }
    }

    // ---- traversal ----

    private void graph(Graph g, Map<String, Long> opsets) {
        for (Value v : g.inputs()) types.put(v, v.type());
        for (Value v : g.initializers()) {
            if (g.inputs().contains(v)) continue; // a default the caller may override: neither shape nor value is fixed
            Tensor t = v.initializer();
            if (t.dataType() == null) continue;
            types.put(v, new Type.Tensor(t.dataType(), Shape.of(t.dims())));
            List<Sym> content = contents(t);
            if (content != null) values.put(v, content);
        }
        for (Node n : g.nodes()) node(n, opsets);
    }

    private void node(Node n, Map<String, Long> opsets) {
        String domain = OpSchemas.canonicalDomain(n.domainName());
        Long version = opsets.get(domain);
        OpSchema schema = version == null ? null : schemas.lookup(domain, n.opType(), version);
        Ctx ctx = new Ctx(this, n, schema, version == null ? -1 : version, opsets);
        String reason = null;
        if (localFunctions.contains(domain + "::" + n.opType())) reason = "calls a model-local function, which inference does not enter";
        else if (version == null) reason = "its domain '" + domain + "' is not imported";
        else if (schema == null) reason = "no schema for " + domain + " " + n.opType() + " at opset " + version;
        else if (schema.unchecked()) reason = schema + " is newer than the signatures Tailor knows";
        else {
            try {
                ctx.bindElementTypes();
                ShapeRules.Rule rule = ShapeRules.rule(domain, n.opType());
                if (rule == null) reason = "no shape rule for " + schema;
                else rule.infer(ctx);
            } catch (CannotInfer e) {
                reason = e.getMessage();
            } catch (RuntimeException e) {
                // a malformed node (wrong attribute kind, bad indices) must not stop inference of the rest
                reason = "cannot infer: " + e;
            }
        }
        for (int i = 0; i < n.outputs().size(); i++) {
            Value out = n.outputs().get(i);
            if (out == null) continue;
            outputs++;
            Type inferred = ctx.outputType(i);
            Type declared = out.type();
            Type merged = merge(n, out, inferred, declared);
            types.put(out, merged);
            boolean complete = merged != null
                    && (!(merged instanceof Type.Tensor t) || t.shape() != null && t.elementType() != null);
            if (complete) shaped++;
            else {
                String why = reason != null ? reason : ctx.outputReason(i);
                problems.add(new Problem(n, Verifier.describe(n) + ", output " + i + " '" + out.name() + "'", why));
            }
        }
    }

    /** Inference, completed by the declaration where inference knows less; a contradiction is reported. */
    private Type merge(Node n, Value out, Type inferred, Type declared) {
        if (inferred == null) return declared;
        if (declared == null || !(inferred instanceof Type.Tensor it) || !(declared instanceof Type.Tensor dt))
            return inferred;
        DataType elem = it.elementType() != null ? it.elementType() : dt.elementType();
        if (it.elementType() != null && dt.elementType() != null && it.elementType() != dt.elementType())
            conflict(n, out, "declared element type " + dt.elementType() + ", inferred " + it.elementType());
        if (it.shape() == null) return new Type.Tensor(elem, dt.shape(), it.denotation());
        if (dt.shape() == null) return new Type.Tensor(elem, it.shape(), it.denotation());
        if (it.shape().rank() != dt.shape().rank()) {
            conflict(n, out, "declared shape " + dt.shape() + ", inferred " + it.shape());
            return new Type.Tensor(elem, it.shape(), it.denotation());
        }
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < it.shape().rank(); i++) {
            Dim a = it.shape().dim(i);
            Dim b = dt.shape().dim(i);
            if (a.isKnown() && b.isKnown() && a.value() != b.value()) {
                conflict(n, out, "declared shape " + dt.shape() + ", inferred " + it.shape());
                return new Type.Tensor(elem, it.shape(), it.denotation());
            }
            if (a.isKnown() || !b.isKnown() && (a.isSymbolic() || !b.isSymbolic())) dims.add(a);
            else dims.add(b);
        }
        return new Type.Tensor(elem, Shape.of(dims), it.denotation());
    }

    private void conflict(Node n, Value out, String what) {
        problems.add(new Problem(n, Verifier.describe(n) + ", output '" + out.name() + "'",
                "the file declares a type that contradicts inference: " + what));
    }

    /** Infers a subgraph whose inputs have the given types (null: as declared). */
    void subgraph(Graph g, List<Type> inputTypes, Map<String, Long> opsets) {
        for (int i = 0; i < g.inputs().size(); i++) {
            Value v = g.inputs().get(i);
            Type t = i < inputTypes.size() ? inputTypes.get(i) : null;
            types.put(v, t != null ? (v.type() != null ? mergeInput(t, v.type()) : t) : v.type());
        }
        for (Value v : g.initializers()) {
            if (g.inputs().contains(v) || v.initializer().dataType() == null) continue;
            types.put(v, new Type.Tensor(v.initializer().dataType(), Shape.of(v.initializer().dims())));
            List<Sym> content = contents(v.initializer());
            if (content != null) values.put(v, content);
        }
        for (Node n : g.nodes()) node(n, opsets);
    }

    private static Type mergeInput(Type given, Type declared) {
        if (declared instanceof Type.Tensor d && d.shape() != null) return declared;
        return given;
    }

    // ---- tensor contents ----

    /** The contents of a small integer or bool tensor of rank 0 or 1, else null. */
    static List<Sym> contents(Tensor t) {
        if (t.rank() > 1 || t.elementCount() > VALUE_LIMIT || t.data() == null) return null;
        DataType d = t.dataType();
        if (d == null || !isIntegral(d)) return null;
        int n = (int) t.elementCount();
        ByteBuffer b;
        try {
            b = t.bytes();
        } catch (RuntimeException e) {
            return null;
        }
        List<Sym> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long v = switch (d) {
                case INT64, UINT64 -> b.getLong(i * 8);
                case INT32 -> b.getInt(i * 4);
                case UINT32 -> Integer.toUnsignedLong(b.getInt(i * 4));
                case INT16 -> b.getShort(i * 2);
                case UINT16 -> Short.toUnsignedInt(b.getShort(i * 2));
                case INT8 -> b.get(i);
                case UINT8, BOOL -> Byte.toUnsignedInt(b.get(i));
                default -> throw new IllegalStateException();
            };
            out.add(Sym.of(v));
        }
        return out;
    }

    static boolean isIntegral(DataType d) {
        return switch (d) {
            case INT64, INT32, INT16, INT8, UINT64, UINT32, UINT16, UINT8, BOOL -> true;
            default -> false;
        };
    }

    /** Per-node view for the rules: inputs' types and contents, attributes, and the outputs being set. */
    static final class Ctx {
        final ShapeInference inf;
        final Node node;
        final OpSchema schema;
        final long opset;
        final Map<String, Long> opsets;
        private final DataType[] outElem;
        private final Shape[] outShape;
        private final Type[] outOther;
        private final String[] outReason;
        private final Map<String, DataType> bound = new HashMap<>();

        Ctx(ShapeInference inf, Node node, OpSchema schema, long opset, Map<String, Long> opsets) {
            this.inf = inf;
            this.node = node;
            this.schema = schema;
            this.opset = opset;
            this.opsets = opsets;
            int n = node.outputs().size();
            outElem = new DataType[n];
            outShape = new Shape[n];
            outOther = new Type[n];
            outReason = new String[n];
        }

        /** Element types of outputs from the schema: literal types, single-type constraints, bound parameters. */
        void bindElementTypes() {
            for (int i = 0; i < node.inputs().size(); i++) {
                OpSchema.Parameter p = schema.input(i);
                DataType d = elem(i);
                if (p == null || d == null || !schema.constraints().containsKey(p.type())) continue;
                if (p.option() == OpSchema.Option.VARIADIC && !p.homogeneous()) continue;
                bound.putIfAbsent(p.type(), d);
            }
            for (int i = 0; i < outElem.length; i++) {
                OpSchema.Parameter p = schema.output(i);
                if (p == null) continue;
                DataType d = TypeStrings.tensorElement(p.type());
                if (d == null) d = bound.get(p.type());
                if (d == null) {
                    Set<String> allowed = schema.constraints().get(p.type());
                    if (allowed != null && allowed.size() == 1) d = TypeStrings.tensorElement(allowed.iterator().next());
                }
                outElem[i] = d;
            }
        }

        int inputs() {
            return node.inputs().size();
        }

        boolean has(int i) {
            return node.input(i) != null;
        }

        Value in(int i) {
            return node.input(i);
        }

        Type inType(int i) {
            Value v = node.input(i);
            if (v == null) return null;
            Type t = inf.types.get(v);
            return t != null ? t : TypeStrings.typeOf(v);
        }

        DataType elem(int i) {
            return inType(i) instanceof Type.Tensor t ? t.elementType() : null;
        }

        /** The shape of input {@code i}, or null. */
        Shape shapeOrNull(int i) {
            return inType(i) instanceof Type.Tensor t ? t.shape() : null;
        }

        /** The shape of input {@code i}; its absence stops the rule. */
        Shape shape(int i) {
            Shape s = shapeOrNull(i);
            if (s == null)
                throw new CannotInfer(node.input(i) == null ? "input " + i + " is omitted"
                        : "the shape of input " + i + " '" + node.input(i).name() + "' is unknown");
            return s;
        }

        /** The tracked contents of input {@code i}, or null. */
        List<Sym> value(int i) {
            Value v = node.input(i);
            return v == null ? null : inf.values.get(v);
        }

        /** The contents of input {@code i} when every element is known, else null. */
        long[] longs(int i) {
            List<Sym> s = value(i);
            if (s == null) return null;
            long[] out = new long[s.size()];
            for (int k = 0; k < out.length; k++) {
                if (!s.get(k).known()) return null;
                out[k] = s.get(k).value();
            }
            return out;
        }

        /** Like {@link #longs} but stops the rule with a reason naming {@code what}. */
        long[] requireLongs(int i, String what) {
            long[] v = longs(i);
            if (v == null)
                throw new CannotInfer(node.input(i) == null ? "input " + i + " (" + what + ") is omitted"
                        : "input " + i + " (" + what + ") '" + node.input(i).name() + "' is not a known constant");
            return v;
        }

        Attribute attr(String name) {
            Attribute a = node.attribute(name);
            return a == null || a.isReference() || a.value() == null ? null : a;
        }

        long intAttr(String name, long dflt) {
            Attribute a = attr(name);
            return a == null ? dflt : a.asInt();
        }

        float floatAttr(String name, float dflt) {
            Attribute a = attr(name);
            return a == null ? dflt : a.asFloat();
        }

        String stringAttr(String name, String dflt) {
            Attribute a = attr(name);
            return a == null ? dflt : a.asString();
        }

        long[] intsAttr(String name) {
            Attribute a = attr(name);
            return a == null ? null : a.asInts();
        }

        int outputCount() {
            return outElem.length;
        }

        boolean hasOutput(int i) {
            return i < outElem.length && node.output(i) != null;
        }

        DataType outElem(int i) {
            return outElem[i];
        }

        /** Sets output {@code i}'s shape (its element type comes from the schema unless set). */
        void setShape(int i, Shape s) {
            if (i < outShape.length) outShape[i] = s;
        }

        void setShape(int i, List<Dim> dims) {
            setShape(i, Shape.of(dims));
        }

        void setElem(int i, DataType d) {
            if (i < outElem.length) outElem[i] = d;
        }

        void setType(int i, Type t) {
            if (i < outOther.length) outOther[i] = t;
        }

        /** Records why output {@code i} has no shape although the rule ran. */
        void reason(int i, String why) {
            if (i < outReason.length) outReason[i] = why;
        }

        /** Records the tracked contents of output {@code i} (ignored when too long or not integral). */
        void setValue(int i, List<Sym> v) {
            if (v == null || v.size() > VALUE_LIMIT || !hasOutput(i)) return;
            DataType d = outElem[i];
            if (d != null && !isIntegral(d)) return;
            inf.values.put(node.output(i), List.copyOf(v));
        }

        Type outputType(int i) {
            if (outOther[i] != null) return outOther[i];
            if (outElem[i] == null && outShape[i] == null) return null;
            return new Type.Tensor(outElem[i], outShape[i]);
        }

        String outputReason(int i) {
            if (outReason[i] != null) return outReason[i];
            if (outElem[i] == null) return "element type unknown";
            return "no shape known";
        }

        /** Infers a subgraph attribute with the given input types. */
        void subgraph(Graph g, List<Type> inputTypes) {
            inf.subgraph(g, inputTypes, opsets);
        }

        /** Infers a subgraph again, replacing what its previous inference reported and counted. */
        void reinferSubgraph(Graph g, List<Type> inputTypes, int[] mark) {
            inf.problems.subList(mark[0], inf.problems.size()).clear();
            inf.outputs = mark[1];
            inf.shaped = mark[2];
            inf.subgraph(g, inputTypes, opsets);
        }

        /** The report's state, to redo a subgraph with {@link #reinferSubgraph}. */
        int[] mark() {
            return new int[] {inf.problems.size(), inf.outputs, inf.shaped};
        }

        Type typeOf(Value v) {
            Type t = inf.types.get(v);
            return t != null ? t : TypeStrings.typeOf(v);
        }
    }
}
