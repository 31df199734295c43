package dev.tailor.report;

import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A one-to-one correspondence between the top-level nodes of two graphs. Nodes are matched in three stages,
 * each only among nodes still unmatched:
 * <ol>
 *   <li>by name: a node name that occurs once in each graph (the op type may differ: a converted node);</li>
 *   <li>by structure: same op type and domain, and every input the same counterpart — the matched producer's
 *       output, the same graph input, or a constant of the same type and shape — propagated forward from the graph
 *       inputs until nothing changes; and backward, from the producers of the same graph output and from a matched
 *       pair to the producers of the same input slots, when those have the same op type;</li>
 *   <li>by position: same op type and at least one input from a matched producer (or the same graph input) in the same slot (so nodes whose
 *       other inputs were folded into constants still align); among several candidates, the nearest by relative
 *       position in the graph.</li>
 * </ol>
 * Stages 2 and 3 repeat until no new pair is found. Subgraphs are compared as attributes of their node, not
 * matched node by node.
 */
public final class NodeMatch {
    private final Graph before;
    private final Graph after;
    private final Map<Node, Node> a2b = new IdentityHashMap<>();
    private final Map<Node, Node> b2a = new IdentityHashMap<>();
    private final Map<Node, Integer> indexA = new IdentityHashMap<>();
    private final Map<Node, Integer> indexB = new IdentityHashMap<>();
    private final List<Node> nodesA;
    private final List<Node> nodesB;
    private int byName;

    private NodeMatch(Graph before, Graph after) {
        this.before = before;
        this.after = after;
        this.nodesA = before.nodeList();
        this.nodesB = after.nodeList();
        for (int i = 0; i < nodesA.size(); i++) indexA.put(nodesA.get(i), i);
        for (int i = 0; i < nodesB.size(); i++) indexB.put(nodesB.get(i), i);
    }

    /** Matches the nodes of {@code after} to those of {@code before}. */
    public static NodeMatch of(Graph before, Graph after) {
        NodeMatch m = new NodeMatch(before, after);
        m.matchByName();
        boolean progress = true;
        while (progress) {
            progress = m.matchForward() | m.matchBackward();
            if (!progress) progress = m.matchByPosition();
        }
        return m;
    }

    /** The node of {@code after} matched to {@code a} (a node of {@code before}), or null. */
    public Node inAfter(Node a) {
        return a2b.get(a);
    }

    /** The node of {@code before} matched to {@code b} (a node of {@code after}), or null. */
    public Node inBefore(Node b) {
        return b2a.get(b);
    }

    public int byName() {
        return byName;
    }

    public int byStructure() {
        return a2b.size() - byName;
    }

    public List<Node> unmatchedBefore() {
        return nodesA.stream().filter(n -> !a2b.containsKey(n)).toList();
    }

    public List<Node> unmatchedAfter() {
        return nodesB.stream().filter(n -> !b2a.containsKey(n)).toList();
    }

    /** The matched pairs in the order of {@code after}'s nodes. */
    public List<Node[]> pairs() {
        List<Node[]> out = new ArrayList<>();
        for (Node b : nodesB) if (b2a.containsKey(b)) out.add(new Node[] {b2a.get(b), b});
        return out;
    }

    /**
     * Whether input {@code va} of a node in {@code before} corresponds to input {@code vb} of its counterpart: the
     * output of matched producers at the same index, graph inputs with the same name (or position), or both
     * constants. Initializer contents are compared separately.
     */
    boolean sameSource(Value va, Value vb) {
        if (va == null || vb == null) return va == vb;
        if (va.producer() != null || vb.producer() != null)
            return va.producer() != null && vb.producer() != null && a2b.get(va.producer()) == vb.producer()
                    && va.outputIndex() == vb.outputIndex();
        if (va.isGraphInput() || vb.isGraphInput())
            return va.isGraphInput() && vb.isGraphInput() && (va.name().equals(vb.name())
                    || before.inputs().indexOf(va) == after.inputs().indexOf(vb));
        return va.isConstant() && vb.isConstant();
    }

    private void pair(Node a, Node b) {
        a2b.put(a, b);
        b2a.put(b, a);
    }

    private void matchByName() {
        Map<String, Node> a = uniqueNames(nodesA);
        Map<String, Node> b = uniqueNames(nodesB);
        for (Map.Entry<String, Node> e : b.entrySet()) {
            Node na = a.get(e.getKey());
            if (na != null) {
                pair(na, e.getValue());
                byName++;
            }
        }
    }

    private static Map<String, Node> uniqueNames(List<Node> nodes) {
        Map<String, Node> m = new HashMap<>();
        Map<String, Integer> count = new HashMap<>();
        for (Node n : nodes) {
            if (n.name() == null || n.name().isEmpty()) continue;
            count.merge(n.name(), 1, Integer::sum);
            m.put(n.name(), n);
        }
        m.keySet().removeIf(k -> count.get(k) > 1);
        return m;
    }

    /** Stage 2, forward: identical signatures, anchored on at least one matched producer or graph input. */
    private boolean matchForward() {
        Map<String, List<Node>> candidates = new HashMap<>();
        for (Node a : nodesA) {
            if (a2b.containsKey(a)) continue;
            String s = signature(a, true);
            if (s != null) candidates.computeIfAbsent(s, k -> new ArrayList<>()).add(a);
        }
        boolean progress = false;
        for (Node b : nodesB) {
            if (b2a.containsKey(b)) continue;
            String s = signature(b, false);
            if (s == null) continue;
            List<Node> c = candidates.get(s);
            if (c == null || c.isEmpty()) continue;
            Node a = nearest(c, b);
            c.remove(a);
            pair(a, b);
            progress = true;
        }
        return progress;
    }

    /** Stage 2, backward: from matched pairs to the unmatched producers of the same input slots. */
    private boolean matchBackward() {
        boolean progress = false;
        // The producers of the same graph output are anchors too, as the graph inputs are for the forward walk.
        for (int k = 0; k < Math.min(before.outputs().size(), after.outputs().size()); k++) {
            Value va = before.outputs().get(k), vb = after.outputs().get(k);
            Node pa = va.producer(), pb = vb.producer();
            if (pa == null || pb == null || a2b.containsKey(pa) || b2a.containsKey(pb) || !sameOp(pa, pb)
                    || !indexA.containsKey(pa) || !indexB.containsKey(pb)) continue;
            pair(pa, pb);
            progress = true;
        }
        for (Node b : nodesB) {
            Node a = b2a.get(b);
            if (a == null) continue;
            int n = Math.min(a.inputs().size(), b.inputs().size());
            for (int i = 0; i < n; i++) {
                Value va = a.input(i), vb = b.input(i);
                if (va == null || vb == null || va.producer() == null || vb.producer() == null) continue;
                Node pa = va.producer(), pb = vb.producer();
                if (a2b.containsKey(pa) || b2a.containsKey(pb) || !sameOp(pa, pb)
                        || va.outputIndex() != vb.outputIndex()) continue;
                pair(pa, pb);
                progress = true;
            }
        }
        return progress;
    }

    /** Stage 3: same op and at least one input from a matched producer in the same slot; nearest first. */
    private boolean matchByPosition() {
        boolean progress = false;
        for (Node b : nodesB) {
            if (b2a.containsKey(b)) continue;
            List<Node> c = new ArrayList<>();
            for (int i = 0; i < b.inputs().size(); i++) {
                Value vb = b.input(i);
                Value va = counterpart(vb);
                if (va == null) continue;
                for (var use : va.uses()) {
                    Node a = use.node();
                    if (use.index() == i && indexA.containsKey(a) && !a2b.containsKey(a) && sameOp(a, b)) c.add(a);
                }
            }
            if (c.isEmpty()) continue;
            pair(nearest(c, b), b);
            progress = true;
        }
        return progress;
    }

    /** The value of {@code before} that {@code vb} corresponds to: a matched producer's output or a graph input. */
    private Value counterpart(Value vb) {
        if (vb == null) return null;
        if (vb.producer() != null) {
            Node pa = b2a.get(vb.producer());
            return pa == null || vb.outputIndex() >= pa.outputs().size() ? null : pa.output(vb.outputIndex());
        }
        if (!vb.isGraphInput()) return null;
        for (Value va : before.inputs()) if (va.name().equals(vb.name())) return va;
        int i = after.inputs().indexOf(vb);
        return i < before.inputs().size() ? before.inputs().get(i) : null;
    }

    private static boolean sameOp(Node a, Node b) {
        return a.opType().equals(b.opType()) && Objects.equals(a.domainName(), b.domainName());
    }

    /**
     * The structural signature of a node, with producers named by their index in {@code before}; null when no
     * input is anchored (a matched producer or a graph input), or some producer is unmatched.
     */
    private String signature(Node n, boolean isBefore) {
        StringBuilder s = new StringBuilder(n.domainName()).append("::").append(n.opType()).append('(');
        boolean anchored = false;
        Graph g = isBefore ? before : after;
        for (Value v : n.inputs()) {
            if (v == null) {
                s.append("-,");
            } else if (v.producer() != null) {
                Node p = v.producer();
                Node a = isBefore ? p : b2a.get(p);
                if (a == null || !indexA.containsKey(a)) return null;
                s.append('n').append(indexA.get(a)).append(':').append(v.outputIndex()).append(',');
                anchored = true;
            } else if (v.isGraphInput()) {
                s.append("i:").append(v.name()).append(',');
                anchored = true;
            } else if (v.isConstant() && v.initializer() != null) {
                s.append("c:").append(v.initializer().dataType()).append(java.util.Arrays.toString(
                        v.initializer().dims())).append(',');
            } else {
                // An outer-scope value or a sparse initializer: compare by name.
                s.append("v:").append(v.name()).append(',');
            }
        }
        return anchored ? s.append(')').toString() : null;
    }

    private Node nearest(List<Node> candidates, Node b) {
        double pos = indexB.get(b) / (double) Math.max(1, nodesB.size());
        Node best = null;
        double bestDistance = Double.MAX_VALUE;
        for (Node a : candidates) {
            double d = Math.abs(indexA.get(a) / (double) Math.max(1, nodesA.size()) - pos);
            if (d < bestDistance) {
                best = a;
                bestDistance = d;
            }
        }
        return best;
    }

    List<Node> nodesBefore() {
        return Collections.unmodifiableList(nodesA);
    }

    List<Node> nodesAfter() {
        return Collections.unmodifiableList(nodesB);
    }
}
