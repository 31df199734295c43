package dev.tailor.compiler.ir;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A computation graph: inputs, outputs, constants and nodes in a valid (topological) order.
 * Nodes live in a linked list that tolerates removal of the current node during iteration, so a pass can walk
 * and rewrite in one loop. Mutations keep def-use information consistent: a node whose outputs are still used
 * cannot be removed.
 *
 * <p>A graph is a model's main graph, the body of a {@link Function}, or the value of a graph attribute
 * (a subgraph, whose nodes may use values of enclosing graphs).
 */
public final class Graph {
    private String name;
    private String docString;
    private final Metadata metadata = new Metadata();
    private Object origin;

    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final List<Value> initializers = new ArrayList<>();
    private final List<Value> sparseInitializers = new ArrayList<>();
    private final List<Value> valueInfo = new ArrayList<>();

    private Node first;
    private Node last;
    private int nodeCount;
    private Node owner;

    public Graph(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String docString() {
        return docString;
    }

    public void setDocString(String docString) {
        this.docString = docString;
    }

    public Metadata metadata() {
        return metadata;
    }

    public Object origin() {
        return origin;
    }

    public void setOrigin(Object origin) {
        this.origin = origin;
    }

    /** The node whose attribute holds this graph, or null for a main graph or function body. */
    public Node owner() {
        return owner;
    }

    void setOwner(Node owner) {
        this.owner = owner;
    }

    // ---- interface ----

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public Value addInput(Value v) {
        adopt(v);
        inputs.add(v);
        return v;
    }

    public void removeInput(Value v) {
        inputs.remove(v);
    }

    /** Marks {@code v} as a graph output (a value may be listed more than once). */
    public void addOutput(Value v) {
        outputs.add(v);
    }

    public void setOutput(int i, Value v) {
        outputs.set(i, v);
    }

    public void removeOutput(int i) {
        outputs.remove(i);
    }

    void replaceOutput(Value old, Value now) {
        outputs.replaceAll(v -> v == old ? now : v);
    }

    // ---- constants ----

    /** Initializer values, in file order; each holds its tensor in {@link Value#initializer()}. */
    public List<Value> initializers() {
        return Collections.unmodifiableList(initializers);
    }

    /** Adds an initializer named after the tensor and returns its value. */
    public Value addInitializer(Tensor tensor) {
        Value v = new Value(tensor.name());
        v.setInitializer(tensor);
        addInitializer(v);
        return v;
    }

    /** Registers {@code v}, which holds a tensor, as an initializer (it may also be a graph input). */
    public void addInitializer(Value v) {
        if (v.initializer() == null) throw new IllegalArgumentException(v + " holds no tensor");
        adopt(v);
        initializers.add(v);
    }

    /** Removes an initializer that nothing uses any more. */
    public void removeInitializer(Value v) {
        if (v.hasUses() || outputs.contains(v))
            throw new IllegalStateException("initializer " + v + " is still used by " + v.uses());
        initializers.remove(v);
        v.setInitializer(null);
    }

    public List<Value> sparseInitializers() {
        return Collections.unmodifiableList(sparseInitializers);
    }

    public void addSparseInitializer(Value v) {
        if (v.sparseInitializer() == null) throw new IllegalArgumentException(v + " holds no sparse tensor");
        adopt(v);
        sparseInitializers.add(v);
    }

    /** Values whose type is recorded for the file's {@code value_info}, in order. */
    public List<Value> valueInfo() {
        return Collections.unmodifiableList(valueInfo);
    }

    public void addValueInfo(Value v) {
        if (v.graph() == null) adopt(v);
        valueInfo.add(v);
        v.setInValueInfo(true);
    }

    public void clearValueInfo() {
        for (Value v : valueInfo) v.setInValueInfo(false);
        valueInfo.clear();
    }

    private void adopt(Value v) {
        if (v.graph() != null && v.graph() != this)
            throw new IllegalArgumentException(v + " already belongs to another graph");
        v.setGraph(this);
    }

    // ---- nodes ----

    public int nodeCount() {
        return nodeCount;
    }

    public Node firstNode() {
        return first;
    }

    public Node lastNode() {
        return last;
    }

    /** The node after {@code n}, or null. */
    public Node next(Node n) {
        return n.next;
    }

    /**
     * The nodes in order. Iteration tolerates removal of the node just returned and insertion after it (a node
     * inserted after the current one is visited).
     */
    public Iterable<Node> nodes() {
        return () -> new Iterator<>() {
            private Node cursor = first;

            @Override
            public boolean hasNext() {
                return cursor != null;
            }

            @Override
            public Node next() {
                if (cursor == null) throw new NoSuchElementException();
                Node n = cursor;
                cursor = n.next;
                return n;
            }
        };
    }

    /** A snapshot of the nodes, in order. */
    public List<Node> nodeList() {
        List<Node> list = new ArrayList<>(nodeCount);
        for (Node n = first; n != null; n = n.next) list.add(n);
        return list;
    }

    /** Appends {@code node}; its inputs must be defined by then. Returns the node. */
    public Node append(Node node) {
        link(node, last, null);
        return node;
    }

    public Node insertBefore(Node anchor, Node node) {
        checkMember(anchor);
        link(node, anchor.prev, anchor);
        return node;
    }

    public Node insertAfter(Node anchor, Node node) {
        checkMember(anchor);
        link(node, anchor, anchor.next);
        return node;
    }

    /**
     * Removes {@code node}, which must have no used outputs (rewire them with {@link Value#replaceAllUsesWith}
     * first); its inputs lose the node as a user.
     */
    public void remove(Node node) {
        checkMember(node);
        for (Value out : node.outputs()) {
            if (out == null) continue;
            if (out.hasUses() || outputs.contains(out))
                throw new IllegalStateException("cannot remove " + node + ": its output " + out + " is still used");
        }
        node.dropInputs();
        if (node.prev != null) node.prev.next = node.next;
        else first = node.next;
        if (node.next != null) node.next.prev = node.prev;
        else last = node.prev;
        node.prev = node.next = null;
        node.graph = null;
        nodeCount--;
        for (Value out : node.outputs()) {
            if (out != null && out.inValueInfo()) {
                valueInfo.removeIf(v -> v == out);
                out.setInValueInfo(false);
            }
        }
    }

    /**
     * Removes each of {@code candidates} (nodes of this graph) whose outputs nothing reads, repeating until none goes,
     * so that whole dead chains disappear; an initializer that only removed nodes read goes too, and so does the
     * producer of a removed node's input when nothing reads it any more and {@code follow} accepts it (a rewrite's
     * own nodes, say, or Constant nodes). Nothing else is touched.
     */
    public void removeUnused(Collection<Node> candidates, Predicate<Node> follow) {
        Set<Node> pending = Collections.newSetFromMap(new IdentityHashMap<>());
        pending.addAll(candidates);
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Node n : List.copyOf(pending)) {
                if (n.graph != this) {
                    pending.remove(n);
                    continue;
                }
                boolean used = false;
                for (Value o : n.outputs()) if (o != null && (o.hasUses() || outputs.contains(o))) used = true;
                if (used) continue;
                List<Value> in = new ArrayList<>(n.inputs());
                remove(n);
                pending.remove(n);
                progress = true;
                for (Value v : in) {
                    if (v == null || v.hasUses() || v.isGraphOutput()) continue;
                    if (v.initializer() != null && !v.isGraphInput() && initializers().contains(v)) removeInitializer(v);
                    else if (v.producer() != null && v.producer().graph == this && follow.test(v.producer()))
                        pending.add(v.producer());
                }
            }
        }
    }

    private void link(Node node, Node before, Node after) {
        if (node.graph != null) throw new IllegalArgumentException(node + " is already in a graph");
        node.graph = this;
        node.prev = before;
        node.next = after;
        if (before != null) before.next = node;
        else first = node;
        if (after != null) after.prev = node;
        else last = node;
        nodeCount++;
        for (Value out : node.outputs()) if (out != null) adopt(out);
    }

    private void checkMember(Node n) {
        if (n.graph != this) throw new IllegalArgumentException(n + " is not in graph '" + name + "'");
    }

    @Override
    public String toString() {
        return "Graph(" + name + ", " + nodeCount + " nodes)";
    }
}
