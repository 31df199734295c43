package dev.tailor.compiler.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An operator application. Its outputs are created with it and never reassigned; its inputs may be rewired with
 * {@link #setInput}, which keeps every value's use list correct. A null input is an omitted optional input; a
 * null output an omitted optional output.
 */
public final class Node {
    private String name;
    private String opType;
    private String domain;
    private String overload;
    private String docString;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs;
    private final List<Attribute> attributes = new ArrayList<>();
    private final Metadata metadata = new Metadata();
    private Object origin;

    Graph graph;
    Node prev;
    Node next;

    /**
     * A node in {@code domain} (null or "" for ONNX) with fresh outputs named {@code outputNames}; a null name
     * makes an omitted optional output.
     */
    public Node(String domain, String opType, List<Value> inputs, List<String> outputNames) {
        this.domain = domain;
        this.opType = Objects.requireNonNull(opType, "opType");
        for (Value v : inputs) addInput(v);
        List<Value> outs = new ArrayList<>(outputNames.size());
        for (int i = 0; i < outputNames.size(); i++) {
            String n = outputNames.get(i);
            if (n == null) {
                outs.add(null);
                continue;
            }
            Value v = new Value(n);
            v.setProducer(this, i);
            outs.add(v);
        }
        this.outputs = Collections.unmodifiableList(outs);
    }

    public Node(String opType, List<Value> inputs, String... outputNames) {
        this(null, opType, inputs, Arrays.asList(outputNames));
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String opType() {
        return opType;
    }

    public void setOpType(String opType) {
        this.opType = Objects.requireNonNull(opType);
    }

    /** The domain as written (null when unset; "" and null both mean the default ONNX domain). */
    public String domain() {
        return domain;
    }

    /** The domain with the default domain spelt "". */
    public String domainName() {
        return domain == null || domain.equals("ai.onnx") ? "" : domain;
    }

    public void setDomain(String domain) {
        this.domain = domain;
    }

    public String overload() {
        return overload;
    }

    public void setOverload(String overload) {
        this.overload = overload;
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

    /** The graph that holds this node, or null. */
    public Graph graph() {
        return graph;
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public Value input(int i) {
        return i < inputs.size() ? inputs.get(i) : null;
    }

    public List<Value> outputs() {
        return outputs;
    }

    public Value output(int i) {
        return outputs.get(i);
    }

    /** Appends an input (null for an omitted optional one). */
    public void addInput(Value v) {
        inputs.add(v);
        if (v != null) v.addUse(this, inputs.size() - 1);
    }

    /** Rewires input {@code i} to {@code v} (null to omit it), updating both values' uses. */
    public void setInput(int i, Value v) {
        Value old = inputs.get(i);
        if (old == v) return;
        if (old != null) old.removeUse(this, i);
        inputs.set(i, v);
        if (v != null) v.addUse(this, i);
    }

    /** Detaches every input, leaving their use lists without this node. */
    void dropInputs() {
        for (int i = 0; i < inputs.size(); i++) {
            Value v = inputs.get(i);
            if (v != null) v.removeUse(this, i);
        }
        inputs.clear();
    }

    public List<Attribute> attributes() {
        return Collections.unmodifiableList(attributes);
    }

    /** The attribute called {@code name}, or null. */
    public Attribute attribute(String name) {
        for (Attribute a : attributes) if (a.name().equals(name)) return a;
        return null;
    }

    /** Sets an attribute: replaces the one with the same name in place, or appends it. */
    public void setAttribute(Attribute attribute) {
        for (int i = 0; i < attributes.size(); i++) {
            if (Objects.equals(attributes.get(i).name(), attribute.name())) {
                attributes.set(i, attribute);
                attachGraphs(attribute);
                return;
            }
        }
        attributes.add(attribute);
        attachGraphs(attribute);
    }

    /** Appends an attribute as read from a file, even if the name repeats. */
    public void addAttribute(Attribute attribute) {
        attributes.add(attribute);
        attachGraphs(attribute);
    }

    public void removeAttribute(String name) {
        attributes.removeIf(a -> a.name().equals(name));
    }

    /** Subgraphs held by this node's attributes. */
    public List<Graph> subgraphs() {
        List<Graph> out = new ArrayList<>();
        for (Attribute a : attributes) out.addAll(a.graphs());
        return out;
    }

    private void attachGraphs(Attribute a) {
        for (Graph g : a.graphs()) g.setOwner(this);
    }

    @Override
    public String toString() {
        String d = domainName();
        return (d.isEmpty() ? "" : d + ".") + opType + (name != null && !name.isEmpty() ? " '" + name + "'" : "");
    }
}
