package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Weight projections (an activation times a constant matrix: {@code MatMul}, {@code Gemm}, {@code FusedMatMul},
 * {@code MatMulInteger} after a (Dynamic)QuantizeLinear, {@code MatMulNBits}, ONNX Runtime's
 * {@code DynamicQuantizeMatMul} and {@code MatMulIntegerToFloat}) and the backward trace from a value to
 * the projections that compute it, through whatever
 * lies between (reshapes, head splits, rotary embeddings, KV-cache concatenation, head repetition), noting where a
 * fused projection's output is split.
 */
final class Projections {
    private final GraphView g;
    private final Map<Node, Proj> cache = new IdentityHashMap<>();
    private static final Proj NONE = new Proj(null, null, null, null, 0, 0);

    /**
     * A projection node: {@code activation} times {@code weight} ({@code [in, out]} logically), plus a bias the
     * node itself adds (Gemm's C).
     */
    record Proj(Node node, Value activation, Param weight, Param bias, long in, long out) {
        @Override
        public String toString() {
            return GraphView.label(node);
        }
    }

    /** Where a trace reached a projection: the split closest to it on the way ({@code select} null if none). */
    record Hit(Proj proj, Node select, int selectOutput) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Hit h && h.proj.node() == proj.node() && h.select == select
                    && h.selectOutput == selectOutput;
        }

        @Override
        public int hashCode() {
            return Objects.hash(System.identityHashCode(proj.node()), System.identityHashCode(select), selectOutput);
        }
    }

    /** What a backward trace found. */
    static final class Trace {
        final Set<Hit> hits = new LinkedHashSet<>();
        final Set<Node> nodes = new LinkedHashSet<>();
        final Set<Value> graphInputs = new LinkedHashSet<>();
        final Set<Value> graphOutputs = new LinkedHashSet<>();

        List<Proj> projections() {
            List<Proj> out = new ArrayList<>();
            Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Hit h : hits) if (seen.add(h.proj().node())) out.add(h.proj());
            return out;
        }

        boolean has(String op) {
            for (Node n : nodes) if (n.opType().equals(op)) return true;
            return false;
        }
    }

    Projections(GraphView g) {
        this.g = g;
    }

    /** The projection {@code n} is, or null. */
    Proj of(Node n) {
        if (n == null) return null;
        Proj p = cache.get(n);
        if (p == null) {
            p = read(n);
            cache.put(n, p == null ? NONE : p);
        }
        return p == NONE ? null : p;
    }

    private Proj read(Node n) {
        String op = n.opType();
        String d = n.domainName();
        boolean ms = d.equals("com.microsoft");
        if (!d.isEmpty() && !ms) return null;
        Value a = n.input(0);
        if (a == null || !g.isDynamic(a) || n.outputs().isEmpty() || n.output(0) == null) return null;
        switch (op) {
            case "MatMul", "FusedMatMul", "Gemm" -> {
                if (op.equals("FusedMatMul") != ms || (op.equals("MatMul") && ms) || (op.equals("Gemm")
                        && ms)) return null;
                if (GraphView.intAttr(n, "transA", 0) != 0) return null;
                boolean transB = GraphView.intAttr(n, "transB", 0) != 0;
                Param w = weight(n.input(1), transB);
                if (w == null) return null;
                long[] dims = w.tensor().dims();
                long out = dims[w.featureAxis()];
                long in = dims[1 - w.featureAxis()];
                Param bias = null;
                if (op.equals("Gemm") && n.input(2) != null) {
                    Tensor c = g.constant(g.stripCasts(n.input(2)));
                    if (c != null && c.elementCount() == out) bias = new Param(g.stripCasts(n.input(2)), c,
                            c.rank() - 1 < 0 ? 0 : c.rank() - 1, null);
                }
                return new Proj(n, a, w, bias, in, out);
            }
            case "MatMulInteger" -> {
                // dynamic or static int8 quantization: MatMulInteger(QuantizeLinear(x), W_int8, ...)
                if (ms) return null;
                Tensor t = g.constant(n.input(1));
                if (t == null || t.rank() != 2 || g.isDynamic(n.input(1))) return null;
                Value act = a;
                Node q = a.producer();
                if (GraphView.is(q, "DynamicQuantizeLinear") || GraphView.is(q, "QuantizeLinear")) act = q.input(0);
                return new Proj(n, act, new Param(n.input(1), t, 1, null), null, t.dims()[0], t.dims()[1]);
            }
            case "DynamicQuantizeMatMul", "MatMulIntegerToFloat" -> {
                // ONNX Runtime's fused int8 products: (A float | A quantized by DynamicQuantizeLinear) x B int8 [K, N],
                // with an optional bias input (4, resp. 6)
                if (!ms) return null;
                Tensor t = g.constant(n.input(1));
                if (t == null || t.rank() != 2 || g.isDynamic(n.input(1))) return null;
                Value act = a;
                Node q = a.producer();
                if (op.equals("MatMulIntegerToFloat") && isQuantize(q)) act = q.input(0);
                int biasInput = op.equals("DynamicQuantizeMatMul") ? 4 : 6;
                Param bias = null;
                Tensor c = n.inputs().size() > biasInput && n.input(biasInput) != null
                        ? g.constant(n.input(biasInput)) : null;
                if (c != null && c.elementCount() == t.dims()[1]) bias = new Param(n.input(biasInput), c, 0, null);
                return new Proj(n, act, new Param(n.input(1), t, 1, null), bias, t.dims()[0], t.dims()[1]);
            }
            case "MatMulNBits" -> {
                if (!ms) return null;
                long k = GraphView.intAttr(n, "K", -1);
                long nOut = GraphView.intAttr(n, "N", -1);
                Tensor t = g.constant(n.input(1));
                if (k <= 0 || nOut <= 0 || t == null) return null;
                Param bias = null;
                Tensor c = n.inputs().size() > 5 ? g.constant(n.input(5)) : null;
                if (c != null) bias = new Param(n.input(5), c, 0, null);
                return new Proj(n, a, new Param(n.input(1), t, 0, null), bias, k, nOut);
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * The weight behind a matrix operand, through Transpose, Cast, Identity and DequantizeLinear; null unless it
     * is a rank-2 constant. {@code transposed} says the operand is used transposed (Gemm's transB).
     */
    private Param weight(Value w, boolean transposed) {
        boolean t = transposed;
        while (w != null && w.producer() != null && g.constant(w) == null) {
            Node p = w.producer();
            if (GraphView.is(p, "Transpose")) {
                long[] perm = GraphView.intsAttr(p, "perm");
                if (perm != null && !(perm.length == 2 && perm[0] == 1 && perm[1] == 0)) return null;
                t = !t;
            } else if (!(GraphView.is(p, "Cast") || GraphView.is(p, "Identity") || GraphView.is(p, "DequantizeLinear")))
                return null;
            w = p.input(0);
        }
        Tensor tensor = g.constant(w);
        if (tensor == null || tensor.rank() != 2 || g.isDynamic(w)) return null;
        return new Param(w, tensor, t ? 0 : 1, null);
    }

    /** A bias vector the projection's output gets through an Add (full width), or null. */
    Param biasAfter(Proj p) {
        if (p.bias() != null) return p.bias();
        return addedVector(dequantized(p), p.out(), 0);
    }

    /**
     * The float value a projection's result becomes: its output, or for MatMulInteger the output of the
     * {@code Mul(Cast(result), scale)} that dequantizes it.
     */
    Value dequantized(Proj p) {
        Value v = p.node().output(0);
        if (!GraphView.is(p.node(), "MatMulInteger")) return v;
        List<Node> users = g.dataUsers(v);
        if (users.size() != 1 || !GraphView.is(users.get(0), "Cast")) return v;
        Value c = users.get(0).output(0);
        List<Node> next = g.dataUsers(c);
        return next.size() == 1 && GraphView.is(next.get(0), "Mul") ? next.get(0).output(0) : c;
    }

    /** A constant of {@code width} elements added to {@code v} (through Reshape/Cast), or null. */
    Param addedVector(Value v, long width, int depth) {
        for (Node u : g.dataUsers(v)) {
            if (GraphView.is(u, "Add")) {
                for (int i = 0; i < 2; i++) {
                    Value c = g.stripCasts(u.input(i));
                    Tensor t = g.constant(c);
                    if (t != null && t.elementCount() == width && width > 1
                            && g.stripCasts(u.input(1 - i)) == g.stripCasts(v))
                        return new Param(c, t, Math.max(0, t.rank() - 1), null);
                }
            } else if (depth < 3 && (GraphView.is(u, "Reshape") || GraphView.is(u, "Cast") || GraphView.is(u,
                    "Identity"))
                    && g.dataUsers(v).size() == 1) {
                return addedVector(u.output(0), width, depth + 1);
            }
        }
        return null;
    }

    /**
     * Follows {@code root} backward to the projections that compute it. The walk passes every operator except
     * {@code stop} (and graph inputs, constants and shape computations); a projection ends a path. Integer inputs
     * (shapes, indices) are not followed.
     */
    Trace back(Value root, Predicate<Node> stop) {
        Trace t = new Trace();
        record State(Value v, Node sel, int out) {}
        Deque<State> work = new ArrayDeque<>();
        Set<List<Object>> seen = new HashSet<>();
        work.push(new State(root, null, -1));
        while (!work.isEmpty()) {
            State s = work.pop();
            Value v = s.v();
            if (v == null || !g.isDynamic(v)) continue;
            if (!seen.add(List.of(new Id(v), new Id(s.sel())))) continue;
            if (v.isGraphOutput()) t.graphOutputs.add(v);
            Node p = v.producer();
            if (p == null) {
                t.graphInputs.add(v);
                continue;
            }
            Proj pr = of(p);
            if (pr != null) {
                t.hits.add(new Hit(pr, s.sel(), s.out()));
                continue;
            }
            if (stop.test(p) || GraphView.isShapeOnly(p) || GraphView.is(p, "Range") || GraphView.is(p,
                    "ConstantOfShape"))
                continue;
            t.nodes.add(p);
            boolean select = isSelect(p);
            List<Value> in = g.inputs(p);
            for (int i = 0; i < p.inputs().size(); i++) {
                Value x = p.input(i);
                // integer inputs are shapes and indices, except a quantized projection's result
                if (x == null || (!g.floatOrUnknown(x) && of(x.producer()) == null)) continue;
                if (select && i > 0) continue;
                work.push(select && i == 0 ? new State(x, p, v.outputIndex()) : new State(x, s.sel(), s.out()));
            }
            for (Value x : in) if (!p.inputs().contains(x) && g.floatOrUnknown(x)) work.push(new State(x, s.sel(),
                    s.out()));
        }
        return t;
    }

    /** Identity-keyed wrapper so values and nodes can sit in hash sets by identity. */
    private record Id(Object o) {
        @Override
        public boolean equals(Object x) {
            return x instanceof Id i && i.o == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(o);
        }
    }

    /** The quantizing node in front of a MatMulInteger. */
    static boolean isQuantize(Node n) {
        return GraphView.is(n, "DynamicQuantizeLinear") || GraphView.is(n, "QuantizeLinear");
    }

    static boolean isSelect(Node n) {
        return GraphView.is(n, "Split") || GraphView.is(n, "Slice") || GraphView.is(n, "Gather");
    }

    /**
     * The columns of {@code p} that output {@code selOut} of split {@code sel} carries: the split must act on the
     * last axis of the projection's output, with only elementwise operations (a bias add, casts) and reshapes that
     * keep the last axis in between.
     */
    Columns columns(Proj p, Node sel, int selOut) {
        long width = p.out();
        Value in = sel.input(0);
        // check the path back to the projection keeps the feature axis last
        Value v = in;
        int guard = 0;
        while (v != p.node().output(0)) {
            Node q = v.producer();
            if (q == null || guard++ > 16)
                throw new NotPlaced(sel, "cannot follow the fused projection " + p + " to the split "
                        + GraphView.label(sel));
            if (GraphView.is(q, "Add") || GraphView.is(q, "Sub") || GraphView.is(q, "Mul") || GraphView.is(q, "Div")) {
                Value a = q.input(0);
                Value b = q.input(1);
                v = g.isDynamic(a) && !g.isDynamic(b) ? a : !g.isDynamic(a) && g.isDynamic(b) ? b : null;
                if (v == null)
                    throw new NotPlaced(q, "the fused projection " + p
                            + " is combined with another activation before its split");
            } else if (GraphView.is(q, "Cast") || GraphView.is(q, "Identity")) {
                v = q.input(0);
            } else if (GraphView.is(q, "Reshape") || GraphView.is(q, "Squeeze") || GraphView.is(q, "Unsqueeze")) {
                if (g.lastDim(q.output(0)) != width || g.lastDim(q.input(0)) != width)
                    throw new NotPlaced(q, "the fused projection " + p + " is reshaped across its features before the "
                            + "split " + GraphView.label(sel) + "; only splits along the feature axis are understood");
                v = q.input(0);
            } else if (GraphView.is(q, "Transpose")) {
                long[] perm = GraphView.intsAttr(q, "perm");
                if (perm == null || perm[perm.length - 1] != perm.length - 1)
                    throw new NotPlaced(q, "the fused projection " + p
                            + " is transposed across its features before the split");
                v = q.input(0);
            } else {
                throw new NotPlaced(q, "cannot follow the fused projection " + p + " through " + GraphView.label(q)
                        + " to the split " + GraphView.label(sel));
            }
        }
        int rank = g.rank(in);
        if (GraphView.is(sel, "Split")) {
            long axis = GraphView.intAttr(sel, "axis", 0);
            if (!lastAxis(axis, rank))
                throw new NotPlaced(sel, "splits axis " + axis + ", not the feature axis of " + p);
            long[] sizes = sel.input(1) != null ? g.ints(sel.input(1)) : GraphView.intsAttr(sel, "split");
            if (sizes == null) {
                int n = sel.outputs().size();
                if (width % n != 0) throw new NotPlaced(sel, "splits " + width + " features into " + n
                        + " unequal parts");
                sizes = new long[n];
                java.util.Arrays.fill(sizes, width / n);
            }
            long start = 0;
            for (int i = 0; i < selOut; i++) start += sizes[i];
            return checked(sel, start, sizes[selOut], width);
        }
        if (GraphView.is(sel, "Slice")) {
            long[] starts = sel.input(1) != null ? g.ints(sel.input(1)) : GraphView.intsAttr(sel, "starts");
            long[] ends = sel.input(2) != null ? g.ints(sel.input(2)) : GraphView.intsAttr(sel, "ends");
            long[] axes = sel.input(3) != null ? g.ints(sel.input(3)) : GraphView.intsAttr(sel, "axes");
            long[] steps = sel.input(4) != null ? g.ints(sel.input(4)) : null;
            if (starts == null || ends == null || axes == null || starts.length != 1 || axes.length != 1)
                throw new NotPlaced(sel, "the slice of the fused projection " + p + " has bounds that are not known");
            if (!lastAxis(axes[0], rank)) throw new NotPlaced(sel, "slices axis " + axes[0]
                    + ", not the feature axis of " + p);
            if (steps != null && (steps.length != 1 || steps[0] != 1)) throw new NotPlaced(sel, "slices with a step");
            long s = clamp(starts[0], width);
            long e = clamp(ends[0], width);
            return checked(sel, s, e - s, width);
        }
        if (GraphView.is(sel, "Gather")) {
            long axis = GraphView.intAttr(sel, "axis", 0);
            long[] idx = g.ints(sel.input(1));
            if (!lastAxis(axis, rank) || idx == null || idx.length == 0)
                throw new NotPlaced(sel, "gathers from the fused projection " + p
                        + " other than by known feature indices");
            for (int i = 1; i < idx.length; i++)
                if (idx[i] != idx[0] + i) throw new NotPlaced(sel, "gathers features of " + p
                        + " that are not contiguous");
            return checked(sel, clamp(idx[0], width), idx.length, width);
        }
        throw new NotPlaced(sel, "is not a split of the fused projection " + p);
    }

    private static Columns checked(Node sel, long start, long length, long width) {
        if (length <= 0 || start + length > width)
            throw new NotPlaced(sel, "selects features " + start + ".." + (start + length) + " of " + width);
        return Columns.range(start, length);
    }

    private static boolean lastAxis(long axis, int rank) {
        return axis == -1 || (rank > 0 && axis == rank - 1);
    }

    private static long clamp(long i, long width) {
        if (i < 0) i += width;
        return Math.max(0, Math.min(i, width));
    }
}
