package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.anatomy.Finder.Draft;
import dev.tailor.compiler.anatomy.Projections.Hit;
import dev.tailor.compiler.anatomy.Projections.Proj;
import dev.tailor.compiler.anatomy.Projections.Trace;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads one residual branch: attention (a Softmax over queries × keys, or a fused attention operator) or an FFN
 * (up, activation, down; or gate and up through a product), with its weights by role and its pre-norm. Every
 * condition that fails becomes a {@link NotPlaced} naming the node.
 */
final class BranchReader {
    private final Finder f;
    private final GraphView g;
    private final Junction j;

    BranchReader(Finder f, Junction j) {
        this.f = f;
        this.g = f.g;
        this.j = j;
    }

    Draft read() {
        List<Node> inner = new ArrayList<>();
        List<Node> cores = new ArrayList<>();
        for (Node n : g.nodes) {
            if (!j.region.contains(n)) continue;
            if (f.isJunction(n)) inner.add(n);
            if (GraphView.is(n, "Softmax") || Finder.isFusedAttention(n)) cores.add(n);
        }
        if (!inner.isEmpty())
            throw new NotPlaced(j.node, "its branch holds " + inner.size() + " other residual add(s) ("
                    + GraphView.label(inner.get(0))
                    + (inner.size() > 1 ? ", …" : "") + "): a residual around several blocks is not a sublayer");
        if (cores.size() > 1)
            throw new NotPlaced(j.node, "its branch holds " + cores.size() + " attention cores (" + labels(cores)
                    + "); a sublayer has one");
        return cores.size() == 1 ? attention(cores.get(0)) : ffn();
    }

    // ---- attention ----

    private Trace trace(Value v) {
        return f.proj.back(v, f.barrier);
    }

    /** What reading an attention core found: where q, k and v come from, and the core's own facts. */
    private static final class Core {
        Hit q;
        Hit k;
        Hit v;
        Columns qc;
        Columns kc;
        Columns vc;
        Param qb;
        Param kb;
        Param vb;
        Value out;
        Integer heads;
        Integer kvHeads;
        Integer headSize;
        String op;
        String qkv;
        Boolean causal;
        final List<String> mask = new ArrayList<>();
        boolean rotary;
        Attention.KvCache cache;
        Param positionBias;

        void mask(MaskInfo m) {
            causal = m.causal();
            mask.addAll(m.parts());
            positionBias = m.table();
        }
    }

    private Draft attention(Node node) {
        Core c;
        if (GraphView.is(node, "Softmax")) c = writtenOut(node);
        else if (node.domainName().isEmpty()) c = onnxAttention(node);
        else {
            c = switch (node.opType()) {
                case "Attention" -> ortAttention(node);
                case "MultiHeadAttention" -> multiHeadAttention(node);
                case "GroupQueryAttention" -> groupQueryAttention(node);
                default -> throw new NotPlaced(node, "is an attention operator anatomy does not read");
            };
            c.op = node.domainName() + "." + node.opType();
        }
        return finishAttention(node, c);
    }

    /** MatMul(q, k^T), scaling and masks, Softmax, MatMul(p, v): the PyTorch exporter's attention. */
    private Core writtenOut(Node sm) {
        Core c = new Core();
        Node score = scoreMatMul(sm);
        Node ctx = contextMatMul(sm);
        Trace tq = trace(score.input(0));
        Trace tk = trace(score.input(1));
        Trace tv = trace(ctx.input(1));
        c.q = single(tq, "queries", score);
        c.k = single(tk, "keys", score);
        c.v = single(tv, "values", ctx);
        long hd = g.lastDim(score.input(0));
        if (hd <= 0) hd = g.lastDim(ctx.output(0));
        if (hd <= 0) hd = headSplit(tq, c.q.proj());
        if (hd > 0) c.headSize = (int) hd;
        c.mask(maskOf(score, sm));
        c.out = ctx.output(0);
        c.cache = cache(tk, tv);
        c.rotary = (tq.has("Neg") && tq.has("Concat")) || tq.has("RotaryEmbedding");
        return c;
    }

    /** com.microsoft.Attention: one packed weight [in, q+k+v] and bias, the projections inside the operator. */
    private Core ortAttention(Node core) {
        Core c = new Core();
        Tensor w = g.constant(core.input(1));
        if (w == null || w.rank() != 2) throw new NotPlaced(core, "its weights (input 1) are not a constant matrix");
        Proj packed = new Proj(core, core.input(0), new Param(core.input(1), w, 1, null), null, w.dims()[0],
                w.dims()[1]);
        long width = packed.out();
        long[] sizes = GraphView.intsAttr(core, "qkv_hidden_sizes");
        if (sizes == null || sizes.length != 3) {
            if (width % 3 != 0) throw new NotPlaced(core, "its weight has " + width
                    + " columns, not three equal parts");
            sizes = new long[] {width / 3, width / 3, width / 3};
        }
        c.qc = Columns.range(0, sizes[0]);
        c.kc = Columns.range(sizes[0], sizes[1]);
        c.vc = Columns.range(sizes[0] + sizes[1], sizes[2]);
        c.q = new Hit(packed, null, -1);
        c.k = c.q;
        c.v = c.q;
        Tensor bt = g.constant(core.input(2));
        if (bt != null) {
            c.qb = new Param(core.input(2), bt, 0, c.qc);
            c.kb = new Param(core.input(2), bt, 0, c.kc);
            c.vb = new Param(core.input(2), bt, 0, c.vc);
        }
        long n = GraphView.intAttr(core, "num_heads", -1);
        if (n <= 0) throw new NotPlaced(core, "has no num_heads attribute");
        c.heads = (int) n;
        c.headSize = (int) (sizes[0] / n);
        boolean causal = GraphView.intAttr(core, "unidirectional", 0) != 0;
        c.causal = causal;
        if (causal) c.mask.add("causal");
        if (core.input(3) != null) c.mask.add("padding");
        Value past = core.input(4);
        Value present = core.outputs().size() > 1 ? core.output(1) : null;
        if (past != null || present != null)
            c.cache = new Attention.KvCache(past == null ? null : past.name(), past == null ? null : past.name(),
                    present == null ? null : present.name(), present == null ? null : present.name());
        c.rotary = GraphView.intAttr(core, "do_rotary", 0) != 0;
        c.qkv = "fused";
        c.out = core.output(0);
        return c;
    }

    /** com.microsoft.MultiHeadAttention: q, k, v projected outside (separately, or packed per head), biases inside. */
    private Core multiHeadAttention(Node core) {
        Core c = new Core();
        long n = GraphView.intAttr(core, "num_heads", -1);
        if (n <= 0) throw new NotPlaced(core, "has no num_heads attribute");
        c.heads = (int) n;
        Trace tq = trace(core.input(0));
        c.q = single(tq, "queries", core);
        if (core.input(1) == null && g.rank(core.input(0)) == 5) {
            // packed QKV [batch, seq, heads, 3, head]: per head, q, k and v side by side
            long w = c.q.proj().out();
            if (w % (3 * n) != 0) throw new NotPlaced(core, "packed QKV of " + w + " features is not 3 x " + n
                    + " heads");
            long hd = w / (3 * n);
            c.qc = new Columns(0, hd, 3 * hd, n);
            c.kc = new Columns(hd, hd, 3 * hd, n);
            c.vc = new Columns(2 * hd, hd, 3 * hd, n);
            c.k = c.q;
            c.v = c.q;
            c.qkv = "packed";
        } else if (core.input(1) != null && g.rank(core.input(1)) == 5) {
            // packed KV [batch, seq, heads, 2, head]
            c.k = single(trace(core.input(1)), "keys and values", core);
            long w = c.k.proj().out();
            if (w % (2 * n) != 0) throw new NotPlaced(core, "packed KV of " + w + " features is not 2 x " + n
                    + " heads");
            long hd = w / (2 * n);
            c.kc = new Columns(0, hd, 2 * hd, n);
            c.vc = new Columns(hd, hd, 2 * hd, n);
            c.v = c.k;
            c.qkv = "packed";
        } else {
            if (core.input(1) == null || core.input(2) == null)
                throw new NotPlaced(core, "has no key or value input and no packed QKV query");
            c.k = single(trace(core.input(1)), "keys", core);
            c.v = single(trace(core.input(2)), "values", core);
        }
        Tensor bt = core.inputs().size() > 3 ? g.constant(core.input(3)) : null;
        if (bt != null) {
            long hq = width(c.q, c.qc);
            long hk = width(c.k, c.kc);
            long hv = width(c.v, c.vc);
            if (bt.elementCount() != hq + hk + hv)
                throw new NotPlaced(core, "its bias has " + bt.elementCount() + " elements, not q+k+v = " + (hq + hk
                        + hv));
            c.qb = new Param(core.input(3), bt, 0, Columns.range(0, hq));
            c.kb = new Param(core.input(3), bt, 0, Columns.range(hq, hk));
            c.vb = new Param(core.input(3), bt, 0, Columns.range(hq + hk, hv));
        }
        c.mask(maskOfInputs(core, GraphView.intAttr(core, "unidirectional", 0) != 0, 4, 5));
        c.cache = pastPresent(core, 6, 7, 1, 2);
        c.rotary = tq.has("RotaryEmbedding");
        c.out = core.output(0);
        return c;
    }

    /** com.microsoft.GroupQueryAttention: causal, kv heads, optional packed QKV, optional rotary inside. */
    private Core groupQueryAttention(Node core) {
        Core c = new Core();
        long n = GraphView.intAttr(core, "num_heads", -1);
        long nkv = GraphView.intAttr(core, "kv_num_heads", -1);
        if (n <= 0 || nkv <= 0) throw new NotPlaced(core, "has no num_heads or kv_num_heads attribute");
        c.heads = (int) n;
        c.kvHeads = (int) nkv;
        Trace tq = trace(core.input(0));
        c.q = single(tq, "queries", core);
        if (core.input(1) == null) {
            // packed QKV [batch, seq, (heads + 2 kv heads) x head]: q, then k, then v
            long w = c.q.proj().out();
            if (w % (n + 2 * nkv) != 0)
                throw new NotPlaced(core, "packed QKV of " + w + " features is not (" + n + " + 2 x " + nkv
                        + ") heads");
            long hd = w / (n + 2 * nkv);
            c.headSize = (int) hd;
            c.qc = Columns.range(0, n * hd);
            c.kc = Columns.range(n * hd, nkv * hd);
            c.vc = Columns.range((n + nkv) * hd, nkv * hd);
            c.k = c.q;
            c.v = c.q;
            c.qkv = "fused";
        } else {
            c.k = single(trace(core.input(1)), "keys", core);
            c.v = single(trace(core.input(2)), "values", core);
        }
        c.causal = Boolean.TRUE;
        c.mask.add("causal");
        c.cache = pastPresent(core, 3, 4, 1, 2);
        c.rotary = GraphView.intAttr(core, "do_rotary", 0) != 0 || tq.has("RotaryEmbedding");
        c.out = core.output(0);
        return c;
    }

    /** ONNX's own Attention (opset 23): separate Q, K, V inputs. */
    private Core onnxAttention(Node core) {
        Core c = new Core();
        Trace tq = trace(core.input(0));
        Trace tk = trace(core.input(1));
        Trace tv = trace(core.input(2));
        c.q = single(tq, "queries", core);
        c.k = single(tk, "keys", core);
        c.v = single(tv, "values", core);
        if (g.rank(core.input(0)) == 4) {
            var s = g.shape(core.input(0));
            if (s.dim(1).isKnown()) c.heads = (int) s.dim(1).value();
        } else {
            long n = GraphView.intAttr(core, "q_num_heads", -1);
            if (n > 0) c.heads = (int) n;
            long nk = GraphView.intAttr(core, "kv_num_heads", -1);
            if (nk > 0) c.kvHeads = (int) nk;
        }
        c.mask(maskOfInputs(core, GraphView.intAttr(core, "is_causal", 0) != 0, 3));
        c.cache = pastPresent(core, 4, 5, 1, 2);
        c.rotary = tq.has("RotaryEmbedding");
        c.op = "Attention";
        c.out = core.output(0);
        return c;
    }

    /** Weights by role, the output projection, the pre-norm, self or cross, heads. */
    private Draft finishAttention(Node core, Core c) {
        Draft d = new Draft();
        Hit q = c.q;
        Hit k = c.k;
        Hit v = c.v;
        Columns qc = c.qc != null ? c.qc : columnsOf(q);
        Columns kc = c.kc != null ? c.kc : columnsOf(k);
        Columns vc = c.vc != null ? c.vc : columnsOf(v);
        sharedWithoutSplit(q, qc, k, kc, "queries", "keys", core);
        sharedWithoutSplit(q, qc, v, vc, "queries", "values", core);
        sharedWithoutSplit(k, kc, v, vc, "keys", "values", core);
        String qkv = c.qkv;
        if (qkv == null) {
            boolean sameQk = q.proj().node() == k.proj().node();
            boolean sameKv = k.proj().node() == v.proj().node();
            qkv = sameQk && sameKv ? "fused" : sameKv ? "fused kv" : "separate";
        }
        Proj o = outProjection(c.out, core);
        Value u = g.stripLayout(q.proj().activation());
        d.branchIn = u;
        d.preNorm = preNorm(u);
        Value uk = g.stripLayout(k.proj().activation());
        Value uv = g.stripLayout(v.proj().activation());
        Value kvSource = null;
        if (g.stripCasts(uk) == g.stripCasts(u)) {
            d.kind = SublayerKind.ATTN;
        } else {
            if (uk.producer() != null && j.region.contains(uk.producer()))
                throw new NotPlaced(k.proj().node(), "the keys are computed from " + uk.name()
                        + ", which is derived from the stream but is not what the queries read (" + u.name() + ")");
            d.kind = SublayerKind.XATTN;
            kvSource = uk;
        }
        if (g.stripCasts(uv) != g.stripCasts(uk))
            throw new NotPlaced(v.proj().node(), "the values are computed from " + uv.name() + ", the keys from "
                    + uk.name());
        long qw = width(q, qc);
        long kw = width(k, kc);
        Integer heads = c.heads;
        Integer kvHeads = c.kvHeads;
        Integer headSize = c.headSize;
        if (headSize == null && heads != null && qw % heads == 0) headSize = (int) (qw / heads);
        if (headSize != null && headSize > 0) {
            if (qw % headSize != 0 || kw % headSize != 0)
                throw new NotPlaced(core, "queries (" + qw + ") and keys (" + kw + ") are not whole heads of "
                        + headSize);
            if (heads == null) heads = (int) (qw / headSize);
            if (kvHeads == null) kvHeads = (int) (kw / headSize);
        }
        d.weights.put(Role.Q, weight(Role.Q, q, qc, c.qb));
        d.weights.put(Role.K, weight(Role.K, k, kc, c.kb));
        d.weights.put(Role.V, weight(Role.V, v, vc, c.vb));
        d.weights.put(Role.O, weight(Role.O, new Hit(o, null, -1), null, junctionBias(o)));
        d.attention = new Attention(heads, kvHeads, headSize, c.op, qkv, c.causal, List.copyOf(c.mask), c.rotary,
                c.cache,
                kvSource, c.positionBias);
        d.extraNodes.add(core);
        return d;
    }

    /**
     * The head size from the Reshape that splits the projection's output into heads (its target's last entry),
     * for when shapes further on are not known; -1 if there is none.
     */
    private long headSplit(Trace t, Proj p) {
        Value out = p.node().output(0);
        for (Node r : t.nodes) {
            if (!GraphView.is(r, "Reshape")) continue;
            Value in = g.stripCasts(r.input(0));
            Node bias = in.producer();
            boolean fromProj = in == out || (GraphView.is(bias, "Add") && (bias.input(0) == out
                    || bias.input(1) == out));
            if (!fromProj) continue;
            List<Dim> target = g.shapes.dimsValue(r.input(1));
            long last = target != null && !target.isEmpty() && target.get(target.size() - 1).isKnown()
                    ? target.get(target.size() - 1).value() : g.lastDim(r.output(0));
            if (last > 0 && last < p.out()) return last;
        }
        return -1;
    }

    private static long width(Hit h, Columns c) {
        return c != null ? c.width() : h.proj().out();
    }

    private void sharedWithoutSplit(Hit a, Columns ca, Hit b, Columns cb, String an, String bn, Node core) {
        if (a.proj().node() != b.proj().node()) return;
        if (ca == null || cb == null)
            throw new NotPlaced(a.proj().node(), "the " + an + " and the " + bn + " of " + GraphView.label(core)
                    + " read the whole of this projection; no split separates them");
        if (ca.equals(cb))
            throw new NotPlaced(a.proj().node(), "the " + an + " and the " + bn + " read the same columns " + ca);
    }

    /** The projection a trace reaches, exactly one. */
    private Hit single(Trace t, String what, Node at) {
        List<Proj> ps = t.projections();
        if (ps.isEmpty())
            throw new NotPlaced(at, "no weight projection computes the " + what);
        if (ps.size() > 1)
            throw new NotPlaced(at, "the " + what + " come from " + ps.size() + " weight projections ("
                    + Finder.names(ps)
                    + "); expected one");
        // Routes that reach the projection without a split use all of it (later slices, such as rotary
        // embedding's halves, cut the role's own output and do not matter); otherwise all routes must agree.
        for (Hit h : t.hits) if (h.select() == null) return h;
        Hit first = null;
        for (Hit h : t.hits) {
            if (first == null) first = h;
            else if (!h.equals(first))
                throw new NotPlaced(at, "the " + what + " read " + ps.get(0) + " through different splits ("
                        + GraphView.label(first.select()) + ", " + GraphView.label(h.select()) + ")");
        }
        return first;
    }

    private Columns columnsOf(Hit h) {
        return h.select() == null ? null : f.proj.columns(h.proj(), h.select(), h.selectOutput());
    }

    private Weight weight(Role role, Hit h, Columns cols, Param explicitBias) {
        Proj p = h.proj();
        Param matrix = cols == null ? p.weight() : p.weight().withColumns(cols);
        Param bias = explicitBias;
        if (bias == null) {
            Param full = f.proj.biasAfter(p);
            if (full != null) bias = cols == null ? full : full.withColumns(cols);
            else if (h.select() != null && cols != null)
                bias = f.proj.addedVector(h.select().output(h.selectOutput()), cols.width(), 0);
        }
        long out = cols == null ? p.out() : cols.width();
        return new Weight(null, role, matrix, bias, p.in(), out);
    }

    /** A fused Skip*LayerNormalization's bias input, when the branch output is the projection's output itself. */
    private Param junctionBias(Proj p) {
        if (!j.fusedNorm()) return null;
        int at = GraphView.isMs(j.node, "SkipLayerNormalization") ? 4 : 3;
        Value b = j.node.input(at);
        Tensor t = g.constant(b);
        if (t == null || g.stripLayout(j.branch) != p.node().output(0) || f.proj.biasAfter(p) != null) return null;
        return new Param(b, t, 0, null);
    }

    /** The MatMul of two activations that feeds the Softmax (queries × keys). */
    private Node scoreMatMul(Node sm) {
        List<Node> found = new ArrayList<>();
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>();
        work.add(sm.input(0));
        while (!work.isEmpty()) {
            Value v = work.poll();
            Node p = v.producer();
            if (p == null || !j.region.contains(p) || !seen.add(p)) continue;
            if (f.isActivationMatMul(p)) {
                found.add(p);
                continue;
            }
            if (f.proj.of(p) != null) continue;
            for (Value in : g.inputs(p)) work.add(in);
        }
        if (found.size() != 1)
            throw new NotPlaced(sm, found.isEmpty() ? "no MatMul of two activations (queries x keys) feeds this Softmax"
                    : found.size() + " MatMuls of two activations feed this Softmax (" + labels(found)
                            + "); expected one");
        return found.get(0);
    }

    /** The MatMul that applies the Softmax's output to the values. */
    private Node contextMatMul(Node sm) {
        List<Node> found = new ArrayList<>();
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>();
        work.add(sm.output(0));
        while (!work.isEmpty()) {
            Value v = work.poll();
            if (!seen.add(v)) continue;
            for (Node u : g.dataUsers(v)) {
                if (!j.region.contains(u)) continue;
                if (GraphView.is(u, "MatMul")) {
                    if (u.input(0) == v && !found.contains(u)) found.add(u);
                    else if (u.input(0) != v)
                        throw new NotPlaced(u,
                                "multiplies the attention probabilities from the right; "
                                        + "expected probabilities x values");
                    continue;
                }
                if (f.proj.of(u) != null) continue;
                for (Value o : u.outputs()) if (o != null) work.add(o);
            }
        }
        if (found.size() != 1)
            throw new NotPlaced(sm, found.isEmpty() ? "no MatMul applies this Softmax's output to values"
                    : found.size() + " MatMuls read this Softmax's output (" + labels(found) + "); expected one");
        return found.get(0);
    }

    /** The one weight projection that reads the attention output, inside the branch. */
    private Proj outProjection(Value out, Node core) {
        List<Proj> found = new ArrayList<>();
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Node> side = f.proj.sideBranches(j.region);
        Deque<Value> work = new ArrayDeque<>();
        work.add(out);
        while (!work.isEmpty()) {
            Value v = work.poll();
            if (!seen.add(v)) continue;
            for (Node u : g.dataUsers(v)) {
                if (!j.region.contains(u) || side.contains(u)) continue;
                Proj p = f.proj.of(u);
                if (p != null) {
                    if (!found.contains(p)) found.add(p);
                    continue;
                }
                for (Value o : u.outputs()) if (o != null) work.add(o);
            }
        }
        if (found.size() != 1)
            throw new NotPlaced(core, found.isEmpty()
                    ? "no output projection reads the attention output before the residual add"
                    : found.size() + " weight projections read the attention output (" + Finder.names(found)
                            + "); expected one");
        return found.get(0);
    }

    private Attention.KvCache cache(Trace tk, Trace tv) {
        String pk = kvInput(tk);
        String pv = kvInput(tv);
        String ok = tk.graphOutputs.isEmpty() ? null : tk.graphOutputs.iterator().next().name();
        String ov = tv.graphOutputs.isEmpty() ? null : tv.graphOutputs.iterator().next().name();
        if (pk == null && pv == null && ok == null && ov == null) return null;
        return new Attention.KvCache(pk, pv, ok, ov);
    }

    private String kvInput(Trace t) {
        for (Value v : t.graphInputs) if (g.isFloat(v) && g.rank(v) >= 3) return v.name();
        return null;
    }

    private Attention.KvCache pastPresent(Node core, int pastK, int pastV, int presK, int presV) {
        Value pk = core.input(pastK);
        Value pv = core.input(pastV);
        Value ok = core.outputs().size() > presK ? core.output(presK) : null;
        Value ov = core.outputs().size() > presV ? core.output(presV) : null;
        if (pk == null && pv == null && ok == null && ov == null) return null;
        return new Attention.KvCache(pk == null ? null : g.stripLayout(pk).name(), pv == null ? null
                : g.stripLayout(pv).name(),
                ok == null ? null : ok.name(), ov == null ? null : ov.name());
    }

    // ---- pre-norm ----

    private Norm preNorm(Value u) {
        Value su = g.stripCasts(u);
        Value ss = g.stripCasts(j.skip);
        if (su == ss) return null;
        Norm n = f.norms.producing(su);
        if (n != null && n.input() != null && g.stripCasts(n.input()) == ss) return n.at(Norm.Placement.PRE);
        throw new NotPlaced(su.producer() != null ? su.producer() : j.node, "the branch reads " + su.name()
                + ", which is neither the stream value " + ss.name() + " nor a norm of it");
    }

    // ---- masks ----

    record MaskInfo(List<String> parts, boolean unknownSource, Param table) {
        Boolean causal() {
            if (parts.contains("causal")) return Boolean.TRUE;
            return unknownSource ? null : Boolean.FALSE;
        }
    }

    /** What is added to or masks the scores between the score MatMul and the Softmax. */
    private MaskInfo maskOf(Node score, Node sm) {
        // nodes on the way from the scores to the Softmax
        Set<Node> path = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Value> derived = Collections.newSetFromMap(new IdentityHashMap<>());
        derived.add(score.output(0));
        for (Node n : g.nodes) {
            if (g.pos(n) <= g.pos(score) || g.pos(n) > g.pos(sm)) continue;
            boolean d = false;
            for (Value in : g.inputs(n)) d |= derived.contains(in);
            if (d && !GraphView.isShapeOnly(n)) {
                path.add(n);
                for (Value o : n.outputs()) if (o != null) derived.add(o);
            }
        }
        List<Value> side = new ArrayList<>();
        for (Node n : path) {
            if (n == sm) continue;
            for (Value in : g.inputs(n)) {
                if (derived.contains(in)) continue;
                Tensor c = g.constant(in);
                if (c != null && c.elementCount() <= 1) continue; // a scale
                side.add(in);
            }
        }
        return cone(side, false);
    }

    private MaskInfo maskOfInputs(Node core, boolean causalAttr, int... inputs) {
        List<Value> side = new ArrayList<>();
        for (int i : inputs) if (core.input(i) != null) side.add(core.input(i));
        return cone(side, causalAttr);
    }

    private MaskInfo cone(List<Value> side, boolean causal) {
        Set<String> parts = new LinkedHashSet<>();
        if (causal) parts.add("causal");
        boolean unknown = false;
        Param table = null;
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Value> seenConst = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>(side);
        while (!work.isEmpty() && seen.size() < 5000) {
            Value v = work.poll();
            Node p = v.producer();
            Tensor c = g.constant(v);
            if (c != null) {
                if (seenConst.add(v) && triangular(c)) parts.add("causal");
                continue;
            }
            if (p == null) {
                if (v.isGraphInput()) {
                    if (g.rank(v) == 2) parts.add("padding");
                    else {
                        parts.add("input");
                        unknown = true;
                    }
                }
                continue;
            }
            if (!seen.add(p)) continue;
            if (f.isJunction(p) || f.proj.of(p) != null || f.norms.of(p) != null || GraphView.isShapeOnly(p)) continue;
            String op = p.opType();
            if (p.domainName().isEmpty()) {
                if (op.equals("Trilu")) parts.add("causal");
                if ((op.equals("Less") || op.equals("LessOrEqual") || op.equals("Greater")
                        || op.equals("GreaterOrEqual"))
                        && g.isDynamic(p.input(0)) && g.isDynamic(p.input(1)))
                    parts.add("causal");
                if (op.equals("Gather")) {
                    Tensor t = g.constant(g.stripCasts(p.input(0)));
                    if (t != null && t.dataType() != null && t.dataType().isFloatingPoint() && t.rank() == 2) {
                        parts.add("position_bias");
                        Value tv = g.stripCasts(p.input(0));
                        if (table == null && f.claimedTables.add(tv)) table = new Param(tv, t, 1, null);
                    }
                }
            }
            for (Value in : g.inputs(p)) work.add(in);
        }
        List<String> ordered = new ArrayList<>();
        for (String part : List.of("causal", "padding", "position_bias",
                "input")) if (parts.contains(part)) ordered.add(part);
        return new MaskInfo(ordered, unknown, table);
    }

    /**
     * True for a constant whose last two dimensions are a square matrix marking the positions at or below the
     * diagonal (a causal mask buffer such as GPT-2's {@code bias}), or strictly above it (a mask of what to hide).
     */
    private static boolean triangular(Tensor t) {
        long[] d = t.dims();
        if (d.length < 2 || t.dataType() == null || t.data() == null) return false;
        long n = d[d.length - 1];
        if (n < 2 || d[d.length - 2] != n || n > 8192) return false;
        DataType dt = t.dataType();
        int size = switch (dt) {
            case BOOL, UINT8, INT8 -> 1;
            case FLOAT -> 4;
            case INT32 -> 4;
            case INT64 -> 8;
            default -> 0;
        };
        if (size == 0) return false;
        ByteBuffer b = t.bytes();
        boolean lower = true;
        boolean upper = true;
        for (int i = 0; i < n && (lower || upper); i++) {
            for (int k = 0; k < n; k++) {
                int at = (int) ((i * n + k) * size);
                boolean nonzero = switch (size) {
                    case 1 -> b.get(at) != 0;
                    case 4 -> dt == DataType.FLOAT ? b.getFloat(at) != 0f : b.getInt(at) != 0;
                    default -> b.getLong(at) != 0;
                };
                if (nonzero != (k <= i)) lower = false;
                if (nonzero != (k > i)) upper = false;
            }
        }
        return lower || upper;
    }

    // ---- FFN ----

    private Draft ffn() {
        Draft d = new Draft();
        List<Proj> ps = new ArrayList<>();
        Set<Node> side = f.proj.sideBranches(j.region);
        for (Node n : g.nodes)
            if (j.region.contains(n) && f.proj.of(n) != null && !side.contains(n)) ps.add(f.proj.of(n));
        List<Proj> exits = new ArrayList<>();
        for (Proj p : ps) if (writesBranch(p)) exits.add(p);
        if (exits.size() != 1)
            throw new NotPlaced(j.node, exits.isEmpty() ? "no weight projection writes its branch output"
                    : exits.size() + " weight projections write its branch output (" + Finder.names(exits)
                            + "); an FFN has one down projection");
        Proj down = exits.get(0);
        Trace t = trace(down.activation());
        List<Proj> entries = t.projections();
        if (entries.isEmpty())
            throw new NotPlaced(j.node, "its branch has one weight projection (" + down
                    + "); an FFN has an up and a down projection"
                    + " and attention a Softmax over queries x keys");
        Hit up;
        Hit gate = null;
        Set<Node> act;
        if (t.hits.size() == 1 && t.hits.iterator().next().select() == null) {
            up = t.hits.iterator().next();
            act = t.nodes;
        } else {
            Node m = product(down.activation());
            if (m == null)
                throw new NotPlaced(down.node(), "reads " + entries.size() + " weight projections ("
                        + Finder.names(entries)
                        + ") but not through a product of two (gate x up)");
            Trace t0 = trace(m.input(0));
            Trace t1 = trace(m.input(1));
            Hit h0 = single(t0, "first factor", m);
            Hit h1 = single(t1, "second factor", m);
            boolean n0 = nonlinear(t0.nodes);
            boolean n1 = nonlinear(t1.nodes);
            if (n0 == n1)
                throw new NotPlaced(m, n0
                        ? "both factors of the gated product pass an activation; cannot tell gate from up"
                        : "neither factor of the gated product passes an activation; cannot tell gate from up");
            gate = n0 ? h0 : h1;
            up = n0 ? h1 : h0;
            act = n0 ? t0.nodes : t1.nodes;
            if (gate.proj().node() == up.proj().node() && (gate.select() == null || up.select() == null))
                throw new NotPlaced(m, "gate and up read the same projection without a split");
        }
        Set<Node> roles = Collections.newSetFromMap(new IdentityHashMap<>());
        roles.add(down.node());
        roles.add(up.proj().node());
        if (gate != null) roles.add(gate.proj().node());
        List<Proj> extra = new ArrayList<>();
        for (Proj p : ps) if (!roles.contains(p.node())) extra.add(p);
        if (!extra.isEmpty())
            throw new NotPlaced(j.node, "its branch has " + ps.size() + " weight projections (" + Finder.names(ps)
                    + "); an FFN has 2 (up, down) or 3 (gate, up, down)");
        Value u = g.stripLayout(up.proj().activation());
        if (gate != null && g.stripCasts(g.stripLayout(gate.proj().activation())) != g.stripCasts(u))
            throw new NotPlaced(gate.proj().node(), "the gate reads " + gate.proj().activation().name()
                    + ", the up projection "
                    + u.name());
        d.kind = SublayerKind.FFN;
        d.branchIn = u;
        d.preNorm = preNorm(u);
        Activation a = activation(act);
        Columns uc = columnsOf(up);
        Param upBias = a.bias;
        d.weights.put(Role.UP, weight(Role.UP, up, uc, upBias));
        if (gate != null) d.weights.put(Role.GATE, weight(Role.GATE, gate, columnsOf(gate), null));
        d.weights.put(Role.DOWN, weight(Role.DOWN, new Hit(down, null, -1), null, junctionBias(down)));
        long hidden = uc != null ? uc.width() : up.proj().out();
        d.ffn = new Ffn(hidden, a.name, gate != null, a.op);
        return d;
    }

    /** True when the branch output is reached from {@code p} without passing another projection. */
    private boolean writesBranch(Proj p) {
        Node end = j.branch.producer();
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>();
        work.add(p.node().output(0));
        while (!work.isEmpty()) {
            Value v = work.poll();
            if (v == j.branch) return true;
            if (!seen.add(v)) continue;
            for (Node u : g.dataUsers(v)) {
                // a quantizing node's scale reaches the output only through its projection's dequantization
                if (!j.region.contains(u) || f.proj.of(u) != null || Projections.isQuantize(u)) continue;
                if (u == end) return true;
                for (Value o : u.outputs()) if (o != null) work.add(o);
            }
        }
        return false;
    }

    /** The Mul of two activations behind {@code v} (through casts and reshapes), or null. */
    private Node product(Value v) {
        Value s = g.stripLayout(v);
        Node p = s.producer();
        if (GraphView.is(p, "Mul") && g.isDynamic(p.input(0)) && g.isDynamic(p.input(1))) return p;
        return null;
    }

    private static final Set<String> LINEAR = Set.of("Add", "Sub", "Mul", "Div", "Cast", "Identity", "Reshape",
            "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Split", "Slice", "Gather", "Concat", "Expand", "Neg",
                    "Pow",
            "Dropout");

    private static boolean nonlinear(Set<Node> nodes) {
        for (Node n : nodes) if (!LINEAR.contains(n.opType())) return true;
        return false;
    }

    private record Activation(String name, String op, Param bias) {}

    private Activation activation(Set<Node> nodes) {
        Set<String> ops = new LinkedHashSet<>();
        Node fused = null;
        for (Node n : nodes) {
            ops.add(n.opType());
            String op = n.opType();
            if (op.equals("FastGelu") || op.equals("BiasGelu") || op.equals("Gelu")
                    || op.equals("QuickGelu")) fused = n;
        }
        if (fused != null) {
            String op = fused.opType();
            String name = switch (op) {
                case "FastGelu" -> "gelu_tanh";
                case "QuickGelu" -> "quick_gelu";
                case "Gelu" -> "tanh".equals(GraphView.stringAttr(fused, "approximate")) ? "gelu_tanh" : "gelu_erf";
                default -> "gelu_erf";
            };
            Param bias = null;
            if ((op.equals("FastGelu") || op.equals("BiasGelu")) && fused.input(1) != null) {
                Tensor t = g.constant(fused.input(1));
                if (t != null) bias = new Param(fused.input(1), t, 0, null);
            }
            return new Activation(name, (fused.domainName().isEmpty() ? "" : fused.domainName() + ".") + op, bias);
        }
        if (ops.contains("Erf")) return new Activation("gelu_erf", null, null);
        if (ops.contains("Tanh")) return new Activation("gelu_tanh", null, null);
        if (ops.contains("Sigmoid")) {
            for (Node n : nodes) {
                if (!GraphView.is(n, "Sigmoid")) continue;
                Value in = g.stripCasts(n.input(0));
                for (Node u : g.dataUsers(n.output(0))) {
                    if (!GraphView.is(u, "Mul")) continue;
                    Value other = g.stripCasts(u.input(0) == n.output(0) ? u.input(1) : u.input(0));
                    if (other == in) return new Activation("silu", null, null);
                    Node scale = in.producer();
                    if (GraphView.is(scale, "Mul") && (g.stripCasts(scale.input(0)) == other
                            || g.stripCasts(scale.input(1)) == other))
                        return new Activation("quick_gelu", null, null);
                }
            }
            return new Activation("sigmoid", null, null);
        }
        if (ops.contains("Relu")) return new Activation("relu", null, null);
        List<String> rest = new ArrayList<>();
        for (String op : ops) if (!LINEAR.contains(op)) rest.add(op);
        if (rest.isEmpty()) return new Activation("none", null, null);
        if (rest.size() == 1) return new Activation(rest.get(0).toLowerCase(java.util.Locale.ROOT), null, null);
        return new Activation("unknown(" + String.join(", ", rest) + ")", null, null);
    }

    private static String labels(List<Node> nodes) {
        List<String> s = new ArrayList<>();
        for (Node n : nodes) s.add(GraphView.label(n));
        return String.join(", ", s);
    }
}
