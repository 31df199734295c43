package dev.tailor.passes.macaron;

import dev.tailor.compiler.anatomy.Norm;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts a copy of an FFN branch on the stream just before a self-attention: {@code h = x + ffn'(norm'(x))} in a
 * pre-LN model, {@code h = x + ffn'(x)} or {@code h = norm'(x + ffn'(x))} in a post-LN one, where the primes are
 * the source FFN's nodes reading substituted parameters. Everything that read {@code x} downstream (the attention's
 * norm, projections and residual add) reads {@code h} instead. New nodes carry {@code tailor.pass=macaron} in their
 * metadata.
 */
final class FrontHalfStep {
    private final Graph g;
    private final FreshNames names;

    FrontHalfStep(Graph g, FreshNames names) {
        this.g = g;
        this.names = names;
    }

    /**
     * Inserts the half-step before {@code attention}, copying {@code source}'s branch with {@code substitutions}.
     * {@code postNorm}: in a post-LN model, also copy the source's post-norm after the add.
     *
     * @return the stream value after the half-step
     */
    Value insert(Sublayer source, Sublayer attention, Map<Value, Value> substitutions, boolean postNorm, String id) {
        Value x = attention.streamIn();
        Norm norm = source.norm();
        boolean post = norm != null && norm.placement() == Norm.Placement.POST;
        Set<Node> branch = new LinkedHashSet<>(source.nodes());
        branch.remove(source.residual());
        if (post) branch.removeAll(norm.nodes());

        Map<Value, Value> map = new IdentityHashMap<>(substitutions);
        // the stream as the source's nodes read it, through the Casts an exporter puts on it (Llama's RMSNorm)
        for (Value v = source.streamIn(); v != null; v = castInput(v)) map.put(v, x);
        Node anchor = anchor(branch, map, x);
        List<Node> made = new ArrayList<>();
        for (Node n : branch) anchor = copyInto(n, map, id, anchor, made);

        Node residual = source.residual();
        int streamSide = residual.input(0) == source.streamIn() ? 0 : 1;
        List<Value> addIn = new ArrayList<>(List.of(x, x));
        addIn.set(1 - streamSide, map.get(source.branchOut()));
        Node add = new Node("Add", addIn, names.fresh(id + "/residual_out"));
        add.setName(names.fresh(id + "/residual"));
        add.metadata().put("tailor.pass", "macaron");
        anchor = place(add, anchor, made);
        Value h = add.output(0);
        if (post && postNorm) {
            Map<Value, Value> normMap = new IdentityHashMap<>(substitutions);
            normMap.put(norm.input(), h);
            for (Node n : g.nodeList()) if (norm.nodes().contains(n)) anchor = copyInto(n, normMap, id, anchor, made);
            h = normMap.get(norm.output());
        }
        h.setType(x.type());
        redirect(x, h, made);
        return h;
    }

    private static Value castInput(Value v) {
        Node p = v.producer();
        return p != null && p.opType().equals("Cast") && p.domainName().isEmpty() ? p.input(0) : null;
    }

    /**
     * Places a copy of {@code n} after {@code anchor}, preceded by copies of the input-less nodes ({@code Constant})
     * it reads: exporters put those right before their user, which may lie after the half-step.
     */
    private Node copyInto(Node n, Map<Value, Value> map, String id, Node anchor, List<Node> made) {
        for (Value v : n.inputs())
            if (v != null && !map.containsKey(v) && v.producer() != null && v.producer().inputs().isEmpty())
                anchor = place(copy(v.producer(), map, id), anchor, made);
        return place(copy(n, map, id), anchor, made);
    }

    /** A copy of {@code n} reading through {@code map}; its outputs are added to the map. */
    private Node copy(Node n, Map<Value, Value> map, String id) {
        List<Value> inputs = new ArrayList<>();
        for (Value v : n.inputs()) inputs.add(v == null ? null : map.getOrDefault(v, v));
        List<String> outs = new ArrayList<>();
        for (Value o : n.outputs()) outs.add(o == null ? null : names.fresh(o.name() + "_" + id));
        Node c = new Node(n.domain(), n.opType(), inputs, outs);
        c.setName(names.fresh((n.name() == null ? n.opType() : n.name()) + "_" + id));
        for (Attribute a : n.attributes()) c.setAttribute(a);
        c.metadata().put("tailor.pass", "macaron");
        for (int i = 0; i < outs.size(); i++) if (n.output(i) != null) map.put(n.output(i), c.output(i));
        return c;
    }

    private Node place(Node n, Node after, List<Node> made) {
        if (after == null) {
            Node first = g.firstNode();
            if (first == null) g.append(n);
            else g.insertBefore(first, n);
        } else {
            g.insertAfter(after, n);
        }
        made.add(n);
        return n;
    }

    /** The last node (in graph order) that defines something the copy reads; null when that is the graph's start. */
    private Node anchor(Set<Node> branch, Map<Value, Value> map, Value x) {
        Set<Node> needed = Collections.newSetFromMap(new IdentityHashMap<>());
        if (x.producer() != null) needed.add(x.producer());
        for (Node n : branch)
            for (Value v : n.inputs()) {
                if (v == null) continue;
                Value read = map.getOrDefault(v, v);
                Node p = read.producer();
                if (p != null && !branch.contains(p) && !p.inputs().isEmpty()) needed.add(p);
            }
        Node last = null;
        for (Node n : g.nodes()) if (needed.contains(n)) last = n;
        return last;
    }

    /** Every node that read {@code x}, other than the half-step's own, reads {@code h}; each must come after it. */
    private void redirect(Value x, Value h, List<Node> made) {
        Set<Node> own = Collections.newSetFromMap(new IdentityHashMap<>());
        own.addAll(made);
        Map<Node, Integer> position = new HashMap<>();
        int i = 0;
        for (Node n : g.nodes()) position.put(n, i++);
        int end = position.get(made.get(made.size() - 1));
        for (Use u : List.copyOf(x.uses())) {
            if (own.contains(u.node())) continue;
            if (position.get(u.node()) < end)
                throw new IllegalStateException(u.node() + " reads " + x + " before the values the half-step needs "
                        + "are computed");
            u.node().setInput(u.index(), h);
        }
    }
}
