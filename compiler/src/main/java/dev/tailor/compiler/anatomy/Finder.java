package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.anatomy.Projections.Proj;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** The search behind {@link Anatomy#of}: residual adds, their chains, and what each branch is. */
final class Finder {
    final GraphView g;
    final Norms norms;
    final Projections proj;
    final List<Unplaced> unplaced = new ArrayList<>();
    final List<Junction> junctions = new ArrayList<>();
    private final Map<Node, Junction> junctionAt = new IdentityHashMap<>();
    private int addsExamined;
    /** Position-bias tables already attributed to a sublayer (later blocks reuse block 0's). */
    final Set<Value> claimedTables = Collections.newSetFromMap(new IdentityHashMap<>());

    Finder(Model model) {
        this.g = new GraphView(model);
        this.norms = new Norms(g);
        this.proj = new Projections(g);
    }

    /** What classifying one branch found, before ids are given. */
    static final class Draft {
        SublayerKind kind;
        Value branchIn;
        Norm preNorm;
        final Map<Role, Weight> weights = new EnumMap<>(Role.class);
        Attention attention;
        Ffn ffn;
        final Set<Node> extraNodes = new LinkedHashSet<>();
    }

    // ---- 1. residual adds ----

    void findJunctions() {
        for (Node n : g.nodes) {
            Junction j = null;
            if (GraphView.is(n, "Add") && n.inputs().size() == 2) {
                Value a = n.input(0);
                Value b = n.input(1);
                if (a == null || b == null || a == b || !g.isDynamic(a) || !g.isDynamic(b)) continue;
                if (!g.floatOrUnknown(a) || !g.floatOrUnknown(b) || g.rank(a) == 0 || g.rank(b) == 0) continue;
                if (proj.sideOf(n) != null) continue; // a bottleneck adapter on a branch, not a residual stream
                addsExamined++;
                j = orient(n, a, b, n.output(0), null);
                if (j == null) j = orient(n, b, a, n.output(0), null);
            } else if (Norms.isSkipNorm(n)) {
                Value a = n.input(0);
                Value b = n.input(1);
                // a == b: norm(x + x), a norm alone (epsilon scaled), not a residual connection
                if (a == null || b == null || a == b || !g.isDynamic(a) || !g.isDynamic(b)) continue;
                addsExamined++;
                Value sum = n.outputs().size() > 3 ? n.output(3) : null;
                j = orient(n, a, b, sum, n.output(0));
                if (j == null) j = orient(n, b, a, sum, n.output(0));
            }
            if (j != null) {
                junctions.add(j);
                junctionAt.put(n, j);
            }
        }
    }

    /** A junction with {@code skip} as the stream, when {@code branch} is computed from it through a weight. */
    private Junction orient(Node n, Value skip, Value branch, Value sum, Value normed) {
        Set<Node> region = region(skip, branch);
        if (region == null) return null;
        if (!readsThroughWeight(skip, region)) return null;
        return new Junction(n, skip, branch, sum, normed, region);
    }

    /**
     * True when a weight projection (or a fused attention operator) in the region reads {@code s} itself or a norm
     * of it. This is what makes {@code s + branch} a residual connection: an attention mask or position bias that
     * everything downstream depends on is added to scores, not projected.
     */
    private boolean readsThroughWeight(Value s, Set<Node> region) {
        Value ss = g.stripCasts(s);
        for (Node r : region) {
            Value a;
            Projections.Proj p = proj.of(r);
            if (p != null) a = p.activation();
            else if (isFusedAttention(r)) a = r.input(0);
            else continue;
            a = g.stripCasts(g.stripLayout(a));
            if (a == ss) return true;
            Norm n = norms.producing(a);
            if (n != null && n.input() != null && g.stripCasts(n.input()) == ss) return true;
        }
        return false;
    }

    /**
     * The nodes on data paths from {@code s} to {@code b}, or null when {@code b} does not depend on {@code s}.
     * Output 0 of a Skip*LayerNormalization counts as computed from its output 3 (it is the norm of that sum).
     */
    Set<Node> region(Value s, Value b) {
        Node end = b.producer();
        if (end == null) return null;
        int limit = g.pos(end);
        Set<Node> fwd = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>();
        work.add(s);
        Node sp = s.producer();
        if (sp != null && Norms.isSkipNorm(sp) && sp.outputs().size() > 3 && sp.output(3) == s && sp.output(0) != null)
            work.add(sp.output(0));
        Set<Value> seenV = Collections.newSetFromMap(new IdentityHashMap<>());
        while (!work.isEmpty()) {
            Value v = work.poll();
            if (!seenV.add(v)) continue;
            for (Node u : g.dataUsers(v)) {
                if (g.pos(u) > limit || !fwd.add(u)) continue;
                for (Value o : u.outputs()) if (o != null) work.add(o);
            }
        }
        if (!fwd.contains(end)) return null;
        Set<Node> region = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Node> back = new ArrayDeque<>();
        back.add(end);
        while (!back.isEmpty()) {
            Node n = back.poll();
            if (!region.add(n)) continue;
            for (Value in : g.inputs(n)) {
                Node p = in.producer() == null ? null : g.top(in.producer());
                if (p != null && fwd.contains(p) && !region.contains(p)) back.add(p);
            }
        }
        return region;
    }

    static boolean isFusedAttention(Node n) {
        String d = n.domainName();
        String op = n.opType();
        if (d.equals("com.microsoft"))
            return op.equals("Attention") || op.equals("MultiHeadAttention") || op.equals("GroupQueryAttention")
                    || op.equals("PackedAttention") || op.equals("PackedMultiHeadAttention")
                            || op.equals("DecoderMaskedMultiHeadAttention");
        return d.isEmpty() && op.equals("Attention");
    }

    // ---- 2. chains ----

    /** Links each junction to the next one on its stream; returns the chains in graph order. */
    List<List<Junction>> chains() {
        Map<Value, Junction> bySkip = new IdentityHashMap<>();
        for (Junction j : junctions) {
            Value key = g.stripCasts(j.skip);
            Junction other = bySkip.get(key);
            if (other != null) {
                unplaced.add(new Unplaced(j.node, "adds a branch to " + key + ", which " + other
                        + " already adds one to; parallel branches on one stream value are not supported"));
                continue;
            }
            bySkip.put(key, j);
        }
        for (Junction j : junctions) {
            if (bySkip.get(g.stripCasts(j.skip)) != j) continue;
            Value sum = j.sum;
            Junction next = sum == null ? null : bySkip.get(g.stripCasts(sum));
            if (next != null) {
                j.after = sum;
            } else if (j.fusedNorm() && bySkip.get(g.stripCasts(j.normed)) != null) {
                next = bySkip.get(g.stripCasts(j.normed));
                j.postNorm = norms.of(j.node).at(Norm.Placement.POST);
                j.after = j.normed;
            } else if (sum != null) {
                Norm n = norms.reading(sum);
                if (n != null && bySkip.get(g.stripCasts(n.output())) != null
                        && n.nodes().stream().noneMatch(junctionAt::containsKey)) {
                    next = bySkip.get(g.stripCasts(n.output()));
                    j.postNorm = n.at(Norm.Placement.POST);
                    j.after = n.output();
                }
            }
            if (next != null && next != j && next.prev == null) {
                j.next = next;
                next.prev = j;
            }
            if (j.after == null) j.after = sum != null ? sum : j.normed;
        }
        List<List<Junction>> out = new ArrayList<>();
        for (Junction j : junctions) {
            if (j.prev != null || bySkip.get(g.stripCasts(j.skip)) != j) continue;
            List<Junction> chain = new ArrayList<>();
            for (Junction k = j; k != null && !chain.contains(k); k = k.next) chain.add(k);
            out.add(chain);
        }
        out.sort(Comparator.comparingInt(c -> g.pos(c.get(0).node)));
        return out;
    }

    boolean isJunction(Node n) {
        return junctionAt.containsKey(n);
    }

    int addsExamined() {
        return addsExamined;
    }

    // ---- 3. what a branch is ----

    /** Stops traces at the stream: residual adds, norms, attention cores and other branches' fused attention. */
    final Predicate<Node> barrier = n -> junctionAt.containsKey(n) || norms().of(n) != null || GraphView.is(n,
            "Softmax")
            || isFusedAttention(n) || isActivationMatMul(n);

    private Norms norms() {
        return norms;
    }

    boolean isActivationMatMul(Node n) {
        return GraphView.is(n, "MatMul") && proj.of(n) == null && g.isDynamic(n.input(0)) && g.isDynamic(n.input(1));
    }

    void classify(Junction j) {
        try {
            j.draft = new BranchReader(this, j).read();
        } catch (NotPlaced e) {
            unplaced.add(e.toUnplaced());
        }
    }



    static String names(List<Proj> ps) {
        List<String> s = new ArrayList<>();
        for (Proj p : ps) s.add(p.toString());
        return String.join(", ", s);
    }
}
