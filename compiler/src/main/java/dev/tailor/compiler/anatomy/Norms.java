package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every normalization in the main graph: fused operators ({@code LayerNormalization},
 * {@code SimplifiedLayerNormalization}, {@code RMSNormalization}, {@code Skip[Simplified]LayerNormalization},
 * {@code EmbedLayerNormalization}) and the written-out forms exporters produce:
 * <pre>
 *   LayerNorm: d = x - ReduceMean(x);  d / Sqrt(ReduceMean(d^2) + eps)  [* gamma] [+ beta]
 *   RMSNorm:   x / Sqrt(ReduceMean(x^2) + eps)  or  x * (1 / Sqrt(…))  or  x * Reciprocal(Sqrt(…))  [* gamma]
 * </pre>
 * with {@code Pow(d, 2)} or {@code Mul(d, d)}, and Casts between floating-point types anywhere.
 */
final class Norms {
    private final GraphView g;
    private final Map<Value, Norm> byOutput = new IdentityHashMap<>();
    private final Map<Node, Norm> byNode = new IdentityHashMap<>();
    final List<Norm> all;

    Norms(GraphView g) {
        this.g = g;
        java.util.ArrayList<Norm> found = new java.util.ArrayList<>();
        List<Node> nodes = g.nodes;
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (byNode.containsKey(n)) continue;
            Norm m = fused(n);
            if (m == null && n.outputs().size() == 1 && n.output(0) != null) m = unfused(n.output(0));
            if (m == null) continue;
            found.add(m);
            byOutput.put(m.output(), m);
            for (Node x : m.nodes()) byNode.put(x, m);
        }
        Collections.reverse(found);
        all = List.copyOf(found);
    }

    /** The norm whose output is {@code v} (Casts stripped), or null. */
    Norm producing(Value v) {
        if (v == null) return null;
        Norm n = byOutput.get(v);
        return n != null ? n : byOutput.get(g.stripCasts(v));
    }

    /** The norm {@code n} belongs to, or null. */
    Norm of(Node n) {
        return byNode.get(n);
    }

    /** A norm reading {@code v} (Casts allowed between): the one whose {@link Norm#input()} is {@code v}. */
    Norm reading(Value v) {
        for (Norm n : all) if (n.input() != null && g.stripCasts(n.input()) == g.stripCasts(v)) return n;
        return null;
    }

    static boolean isSkipNorm(Node n) {
        return GraphView.isMs(n, "SkipLayerNormalization") || GraphView.isMs(n, "SkipSimplifiedLayerNormalization");
    }

    /**
     * A Skip*LayerNormalization whose input is its own skip: {@code norm(x + x)}, which is {@code norm(x)} with four
     * times the epsilon (how {@code fuse_norms} puts a norm without a residual add on the fused kernel).
     */
    static boolean selfSkip(Node n) {
        return isSkipNorm(n) && n.input(0) != null && n.input(0) == n.input(1);
    }

    // ---- fused ----

    private Norm fused(Node n) {
        String op = n.opType();
        String d = n.domainName();
        if (!d.isEmpty() && !d.equals("com.microsoft")) return null;
        Norm.Kind kind;
        Value input;
        Param gain;
        Param bias = null;
        switch (op) {
            case "LayerNormalization" -> {
                kind = Norm.Kind.LAYER_NORM;
                input = n.input(0);
                gain = param(n.input(1));
                bias = param(n.input(2));
            }
            case "SimplifiedLayerNormalization", "RMSNormalization" -> {
                kind = Norm.Kind.RMS_NORM;
                input = n.input(0);
                gain = param(n.input(1));
            }
            case "SkipLayerNormalization" -> {
                if (!d.equals("com.microsoft")) return null;
                kind = Norm.Kind.LAYER_NORM;
                input = selfSkip(n) ? n.input(0) : n.outputs().size() > 3 ? n.output(3) : null;
                gain = param(n.input(2));
                bias = param(n.input(3));
            }
            case "SkipSimplifiedLayerNormalization" -> {
                if (!d.equals("com.microsoft")) return null;
                kind = Norm.Kind.RMS_NORM;
                input = selfSkip(n) ? n.input(0) : n.outputs().size() > 3 ? n.output(3) : null;
                gain = param(n.input(2));
            }
            case "EmbedLayerNormalization" -> {
                if (!d.equals("com.microsoft")) return null;
                kind = Norm.Kind.LAYER_NORM;
                input = null;
                gain = param(n.input(5));
                bias = param(n.input(6));
            }
            default -> {
                return null;
            }
        }
        if (n.output(0) == null) return null;
        Double eps = GraphView.floatAttr(n, "epsilon");
        if (eps == null) eps = 1e-5; // the schemas' default
        if (selfSkip(n)) eps /= 4;
        return new Norm(kind, Norm.Placement.PRE, (d.isEmpty() ? "" : d + ".") + op, input, n.output(0), gain, bias,
                eps, Set.of(n));
    }

    private Param param(Value v) {
        Tensor t = g.constant(v);
        return t == null ? null : new Param(v, t, 0, null);
    }

    // ---- written out ----

    private Norm unfused(Value y) {
        Value cur = y;
        Param beta = null;
        Param gamma = null;
        Node p = g.stripCasts(cur).producer();
        if (GraphView.is(p, "Add")) {
            int c = constVectorOperand(p);
            if (c >= 0) {
                beta = param(g.stripCasts(p.input(c)));
                cur = p.input(1 - c);
                p = g.stripCasts(cur).producer();
            }
        }
        if (GraphView.is(p, "Mul")) {
            int c = constVectorOperand(p);
            if (c >= 0) {
                gamma = param(g.stripCasts(p.input(c)));
                cur = p.input(1 - c);
                p = g.stripCasts(cur).producer();
            }
        }
        // the normalized value: d / Sqrt(ms + eps), or d * r with r = 1 / Sqrt(ms + eps)
        Value d = null;
        Value sqrt = null;
        if (GraphView.is(p, "Div")) {
            d = p.input(0);
            sqrt = p.input(1);
        } else if (GraphView.is(p, "Mul")) {
            for (int i = 0; i < 2 && d == null; i++) {
                Value s = sqrtUnderReciprocal(p.input(i));
                if (s != null) {
                    d = p.input(1 - i);
                    sqrt = s;
                }
            }
        }
        if (d == null) return null;
        Node s = g.stripCasts(sqrt).producer();
        if (!GraphView.is(s, "Sqrt")) return null;
        Node add = g.stripCasts(s.input(0)).producer();
        if (!GraphView.is(add, "Add")) return null;
        int epsAt = g.scalar(add.input(1)) != null ? 1 : g.scalar(add.input(0)) != null ? 0 : -1;
        if (epsAt < 0) return null;
        double eps = g.scalar(add.input(epsAt));
        Node mean = g.stripCasts(add.input(1 - epsAt)).producer();
        if (!isLastAxisMean(mean)) return null;
        Node sq = g.stripCasts(mean.input(0)).producer();
        Value squared;
        if (GraphView.is(sq, "Pow")) {
            Double e = g.scalar(sq.input(1));
            if (e == null || e != 2.0) return null;
            squared = sq.input(0);
        } else if (GraphView.is(sq, "Mul") && g.stripCasts(sq.input(0)) == g.stripCasts(sq.input(1))) {
            squared = sq.input(0);
        } else return null;
        if (g.stripCasts(squared) != g.stripCasts(d)) return null;
        // a LayerNorm when d = x - ReduceMean(x), else an RMSNorm of d
        Norm.Kind kind = Norm.Kind.RMS_NORM;
        Value x = g.stripCasts(d);
        Node sub = x.producer();
        if (GraphView.is(sub, "Sub")) {
            Node m = g.stripCasts(sub.input(1)).producer();
            if (isLastAxisMean(m) && g.stripCasts(m.input(0)) == g.stripCasts(sub.input(0))) {
                kind = Norm.Kind.LAYER_NORM;
                x = g.stripCasts(sub.input(0));
            }
        }
        return new Norm(kind, Norm.Placement.PRE, null, x, y, gamma, beta, eps, between(x, y));
    }

    /** The nodes on data paths from {@code x} to {@code y}. */
    private Set<Node> between(Value x, Value y) {
        Map<Value, Boolean> reaches = new IdentityHashMap<>();
        Set<Node> out = new LinkedHashSet<>();
        reaches(y, x, reaches, out, 0);
        return out;
    }

    private boolean reaches(Value v, Value x, Map<Value, Boolean> memo, Set<Node> out, int depth) {
        if (v == x) return true;
        Boolean known = memo.get(v);
        if (known != null) return known;
        boolean r = false;
        Node p = v.producer();
        if (p != null && depth < 32 && g.isDynamic(v)) {
            for (Value in : p.inputs()) if (in != null && reaches(in, x, memo, out, depth + 1)) r = true;
            if (r) out.add(p);
        }
        memo.put(v, r);
        return r;
    }

    /** {@code s} when {@code r} is {@code Div(1, s)} or {@code Reciprocal(s)} of a Sqrt's output {@code s}. */
    private Value sqrtUnderReciprocal(Value r) {
        Node p = g.stripCasts(r).producer();
        Value s;
        if (GraphView.is(p, "Reciprocal")) s = p.input(0);
        else if (GraphView.is(p, "Div")) {
            Double one = g.scalar(p.input(0));
            if (one == null || one != 1.0) return null;
            s = p.input(1);
        } else return null;
        return GraphView.is(g.stripCasts(s).producer(), "Sqrt") ? s : null;
    }

    private boolean isLastAxisMean(Node m) {
        if (!GraphView.is(m, "ReduceMean")) return false;
        long[] axes = GraphView.intsAttr(m, "axes");
        if (axes == null && m.input(1) != null) axes = g.ints(m.input(1));
        if (axes == null || axes.length != 1) return false;
        if (axes[0] == -1) return true;
        int rank = g.rank(m.input(0));
        return rank > 0 && axes[0] == rank - 1;
    }

    /** The operand index of {@code n} that is a constant vector (gain or bias), or -1. */
    private int constVectorOperand(Node n) {
        for (int i = 0; i < 2; i++) {
            Tensor t = g.constant(g.stripCasts(n.input(i)));
            if (t != null && t.elementCount() > 1 && g.isDynamic(n.input(1 - i))) return i;
        }
        return -1;
    }
}
