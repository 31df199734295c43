package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.anatomy.Projections.Proj;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** What feeds a stream (embeddings) and what reads its end (heads). */
final class Ends {
    /** Tied-head comparison reads both tensors; above this many elements it is not done. */
    static final long TIE_CHECK_LIMIT = 64L << 20;

    private final GraphView g;
    private final Finder f;

    Ends(Finder f) {
        this.f = f;
        this.g = f.g;
    }

    // ---- embeddings ----

    private record Found(String context, Param table, Param bias, Value indices, Node node, boolean fromInput) {}

    /** The embeddings summed into {@code e}, with the nodes computing them added to {@code nodes}. */
    List<Embedding> embeddings(Value e, Set<Node> nodes) {
        List<Found> found = new ArrayList<>();
        walk(e, "sum", found, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
        cone(e, nodes);
        long largest = -1;
        for (Found x : found)
            if (x.fromInput && x.context.equals("lookup") && !positional(x.indices))
                largest = Math.max(largest, x.table.tensor().dims()[0]);
        List<Embedding> out = new ArrayList<>();
        boolean tokenTaken = false;
        for (Found x : found) {
            String kind;
            String idx = x.indices == null ? null : x.indices.name();
            switch (x.context) {
                case "lookup" -> {
                    if (!x.fromInput) kind = "position";
                    else if (positional(x.indices)) kind = "position";
                    else if (!tokenTaken && x.table.tensor().dims()[0] == largest) {
                        kind = "token";
                        tokenTaken = true;
                    } else kind = "segment";
                    if (!x.fromInput) idx = null;
                }
                case "patch" -> kind = "patch";
                case "cls" -> kind = "cls";
                default -> kind = "position";
            }
            out.add(new Embedding(kind, x.table, x.bias, idx, x.node));
        }
        return out;
    }

    /** Index inputs named for positions ({@code position_ids}) hold positions, not tokens. */
    private static boolean positional(Value indices) {
        return indices != null && indices.name().toLowerCase(Locale.ROOT).contains("position");
    }

    private void walk(Value v, String ctx, List<Found> out, Set<Value> seen, int depth) {
        if (v == null || depth > 24 || !seen.add(v)) return;
        Tensor c = g.constant(g.stripCasts(v));
        if (c != null) {
            if (c.rank() >= 2 && c.dataType() != null && c.dataType().isFloatingPoint() && c.elementCount() > 1)
                out.add(new Found(ctx.equals("concat") ? "cls" : "added", new Param(g.stripCasts(v), c, c.rank() - 1,
                        null),
                        null, null, null, false));
            return;
        }
        Node p = v.producer();
        if (p == null) return;
        if (p.domainName().equals("com.microsoft") && p.opType().equals("EmbedLayerNormalization")) {
            int[] tables = {2, 3, 4};
            int[] ids = {0, 1, -1};
            for (int i = 0; i < tables.length; i++) {
                Tensor t = g.constant(p.input(tables[i]));
                if (t == null) continue;
                Value ix = ids[i] >= 0 ? p.input(ids[i]) : p.input(8);
                Value src = ix == null ? null : inputBehind(ix);
                out.add(new Found("lookup", new Param(p.input(tables[i]), t, 1, null), null, src, p, src != null));
            }
            return;
        }
        if (!p.domainName().isEmpty() && !Norms.isSkipNorm(p)) return;
        switch (p.opType()) {
            case "Gather" -> {
                Tensor t = g.constant(g.stripCasts(p.input(0)));
                if (t != null && t.rank() == 2) {
                    Value src = inputBehind(p.input(1));
                    out.add(new Found("lookup", new Param(g.stripCasts(p.input(0)), t, 1, null), null, src, p,
                            src != null));
                } else walk(p.input(0), ctx, out, seen, depth + 1);
            }
            case "Conv" -> {
                Tensor t = g.constant(g.stripCasts(p.input(1)));
                Tensor bt = p.input(2) == null ? null : g.constant(g.stripCasts(p.input(2)));
                Param bias = bt == null ? null : new Param(g.stripCasts(p.input(2)), bt, 0, null);
                if (t != null) out.add(new Found("patch", new Param(g.stripCasts(p.input(1)), t, 0, null), bias, null,
                        p, false));
            }
            case "Add", "Sum", "SkipLayerNormalization", "SkipSimplifiedLayerNormalization" -> {
                for (Value in : p.inputs()) {
                    if (in == null) continue;
                    Tensor ct = g.constant(g.stripCasts(in));
                    if (ct != null && ct.rank() < 2) continue; // a bias or gain, not an embedding
                    walk(in, ctx.equals("concat") ? ctx : "sum", out, seen, depth + 1);
                }
            }
            case "Concat" -> {
                for (Value in : p.inputs()) walk(in, "concat", out, seen, depth + 1);
            }
            case "Mul", "Div" -> {
                for (Value in : p.inputs()) if (g.isDynamic(in)) walk(in, ctx, out, seen, depth + 1);
            }
            case "Expand", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Cast", "Identity", "Dropout",
                    "Slice" ->
                    walk(p.input(0), ctx, out, seen, depth + 1);
            default -> {
            }
        }
    }

    /** The graph input an index tensor is (through casts, reshapes and unsqueezes), or null when computed. */
    private Value inputBehind(Value v) {
        for (int i = 0; i < 8 && v != null; i++) {
            if (v.isGraphInput() && v.initializer() == null) return v;
            Node p = v.producer();
            if (p == null || !p.domainName().isEmpty()) return null;
            switch (p.opType()) {
                case "Cast", "Reshape", "Unsqueeze", "Squeeze", "Identity", "Flatten" -> v = p.input(0);
                default -> {
                    return null;
                }
            }
        }
        return null;
    }

    /** The nodes {@code v} is computed from, up to graph inputs. */
    private void cone(Value v, Set<Node> nodes) {
        Deque<Value> work = new ArrayDeque<>();
        work.add(v);
        while (!work.isEmpty()) {
            Value x = work.poll();
            Node p = x.producer();
            if (p == null || !nodes.add(g.top(p))) continue;
            for (Value in : g.inputs(g.top(p))) work.add(in);
        }
    }

    // ---- heads ----

    /** Projections that read {@code end} through selections and reshapes (not those already in a sublayer). */
    List<Head> heads(Value end, Set<Node> claimed, Embedding token, Set<Node> nodes) {
        List<Head> out = new ArrayList<>();
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>();
        work.add(end);
        while (!work.isEmpty()) {
            Value v = work.poll();
            if (!seen.add(v)) continue;
            for (Node u : g.dataUsers(v)) {
                if (claimed.contains(u)) continue;
                Proj p = f.proj.of(u);
                if (p != null) {
                    if (p.activation() != v) continue;
                    Param bias = f.proj.biasAfter(p);
                    String kind = "classifier";
                    if (token != null && p.out() == token.table().tensor().dims()[0]) kind = "lm_head";
                    for (Node after : g.dataUsers(u.output(0))) if (GraphView.is(after, "Tanh")) kind = "pooler";
                    nodes.add(u);
                    out.add(new Head(kind, p.weight(), bias, p.out(), tied(p.weight(), token), u));
                    continue;
                }
                if (!passes(u, v)) continue;
                nodes.add(u);
                for (Value o : u.outputs()) if (o != null) work.add(o);
            }
        }
        return out;
    }

    private boolean passes(Node u, Value v) {
        if (!u.domainName().isEmpty()) return false;
        return switch (u.opType()) {
            case "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Cast", "Identity",
                    "Dropout" -> u.input(0) == v;
            case "Gather", "Slice" -> u.input(0) == v;
            case "Mul", "Div" -> {
                Value other = u.input(0) == v ? u.input(1) : u.input(0);
                yield g.scalar(other) != null;
            }
            default -> false;
        };
    }

    /** Whether a head matrix holds the token embedding's values: TRUE, FALSE, or null when not compared. */
    private Boolean tied(Param w, Embedding token) {
        if (token == null) return null;
        Tensor e = token.table().tensor();
        Tensor t = w.tensor();
        if (w.value() == token.table().value()) return Boolean.TRUE;
        long[] ed = e.dims();
        long[] td = t.dims();
        if (e.dataType() != DataType.FLOAT || t.dataType() != DataType.FLOAT) return null;
        if (e.elementCount() != t.elementCount() || e.elementCount() > TIE_CHECK_LIMIT) return null;
        // the head reads features along axis 1 - featureAxis; the table is [vocab, hidden]
        boolean transposed = w.featureAxis() == 1; // stored [hidden, vocab]
        if (transposed ? !(td[0] == ed[1] && td[1] == ed[0]) : !(td[0] == ed[0]
                && td[1] == ed[1])) return Boolean.FALSE;
        ByteBuffer a = e.bytes();
        ByteBuffer b = t.bytes();
        int rows = (int) ed[0];
        int cols = (int) ed[1];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                float x = a.getFloat((r * cols + c) * 4);
                float y = transposed ? b.getFloat((c * rows + r) * 4) : b.getFloat((r * cols + c) * 4);
                if (Float.floatToIntBits(x) != Float.floatToIntBits(y)) return Boolean.FALSE;
            }
        return Boolean.TRUE;
    }
}
