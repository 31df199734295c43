package dev.tailor.compiler.ir;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * A named value of a graph: a graph input, an initializer, or a node output. Its list of {@link Use}s is kept
 * correct by {@link Node}, so {@link #replaceAllUsesWith} can rewire a graph without a search.
 */
public final class Value {
    private String name;
    private Type type;
    private String docString;
    private final Metadata metadata = new Metadata();
    private Object origin;

    private Node producer;
    private int outputIndex = -1;
    private Graph graph;
    private Tensor initializer;
    private SparseTensor sparseInitializer;
    /** Insertion-ordered, so uses() lists them in the order they were made, and O(1) to add or remove. */
    private final LinkedHashSet<Use> uses = new LinkedHashSet<>();
    private boolean inValueInfo;

    public Value(String name) {
        this(name, null);
    }

    public Value(String name, Type type) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = type;
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = Objects.requireNonNull(name);
    }

    /** The declared or inferred type, or null if unknown. */
    public Type type() {
        return type;
    }

    public void setType(Type type) {
        this.type = type;
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

    /** The ValueInfoProto the file declared this value with, modelled fields cleared; null if none. */
    public Object origin() {
        return origin;
    }

    public void setOrigin(Object origin) {
        this.origin = origin;
    }

    /** The node that computes this value, or null for graph inputs, initializers and free values. */
    public Node producer() {
        return producer;
    }

    /** Which output of {@link #producer()} this is; -1 when there is no producer. */
    public int outputIndex() {
        return outputIndex;
    }

    /** The graph this value belongs to, or null while it is not part of one. */
    public Graph graph() {
        return graph;
    }

    /** The constant this value holds when it is an initializer, else null. */
    public Tensor initializer() {
        return initializer;
    }

    /** Makes this value an initializer holding {@code tensor}, or a plain value again with null. */
    public void setInitializer(Tensor tensor) {
        this.initializer = tensor;
    }

    public SparseTensor sparseInitializer() {
        return sparseInitializer;
    }

    public void setSparseInitializer(SparseTensor sparse) {
        this.sparseInitializer = sparse;
    }

    public boolean isConstant() {
        return initializer != null || sparseInitializer != null;
    }

    /** A snapshot of the uses by nodes, in the order they were made. */
    public List<Use> uses() {
        return List.copyOf(uses);
    }

    /** True if any node uses this value (graph outputs are not counted; see {@link #isGraphOutput()}). */
    public boolean hasUses() {
        return !uses.isEmpty();
    }

    public int useCount() {
        return uses.size();
    }

    /** True if input {@code index} of {@code node} is recorded as a use of this value. */
    public boolean hasUse(Node node, int index) {
        return uses.contains(new Use(node, index));
    }

    public boolean isGraphOutput() {
        return graph != null && graph.outputs().contains(this);
    }

    public boolean isGraphInput() {
        return graph != null && graph.inputs().contains(this);
    }

    /**
     * Hands this value's place to {@code successor}: every use and graph output reads it instead, and it takes this
     * value's name (this one is renamed aside) and, when it has none, its type, so a rewrite keeps the graph's
     * interface and value names as they were.
     */
    public void replaceWith(Value successor) {
        if (successor == this) return;
        String name = this.name;
        setName(name + "__replaced");
        successor.setName(name);
        if (successor.type() == null) successor.setType(type);
        replaceAllUsesWith(successor);
    }

    /** Makes every node input and graph output that uses this value use {@code other} instead. */
    public void replaceAllUsesWith(Value other) {
        if (other == this) return;
        for (Use use : uses()) use.node().setInput(use.index(), other);
        if (graph != null) graph.replaceOutput(this, other);
    }

    void addUse(Node node, int index) {
        uses.add(new Use(node, index));
    }

    void removeUse(Node node, int index) {
        if (!uses.remove(new Use(node, index)))
            throw new IllegalStateException("value '" + name + "' has no use by input " + index + " of " + node);
    }

    boolean inValueInfo() {
        return inValueInfo;
    }

    void setInValueInfo(boolean in) {
        this.inValueInfo = in;
    }

    void setProducer(Node node, int index) {
        this.producer = node;
        this.outputIndex = index;
    }

    void setGraph(Graph graph) {
        this.graph = graph;
    }

    @Override
    public String toString() {
        return "%" + name;
    }
}
