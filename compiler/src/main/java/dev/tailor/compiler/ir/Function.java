package dev.tailor.compiler.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * A model-local function (ONNX FunctionProto): an operator defined by a body graph. The body's inputs and
 * outputs carry the function's formal parameter names; attribute references in the body name
 * {@link #attributeNames()} or {@link #attributeDefaults()}.
 */
public final class Function {
    private String name;
    private String domain;
    private String overload;
    private String docString;
    private final Graph body;
    private final List<String> attributeNames = new ArrayList<>();
    private final List<Attribute> attributeDefaults = new ArrayList<>();
    private final List<OpsetImport> opsets = new ArrayList<>();
    private final Metadata metadata = new Metadata();
    private Object origin;

    public Function(String domain, String name, Graph body) {
        this.domain = domain;
        this.name = name;
        this.body = body;
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String domain() {
        return domain;
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

    public Graph body() {
        return body;
    }

    /** Names of attributes without a default. */
    public List<String> attributeNames() {
        return attributeNames;
    }

    /** Attributes with default values. */
    public List<Attribute> attributeDefaults() {
        return attributeDefaults;
    }

    public List<OpsetImport> opsets() {
        return opsets;
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

    @Override
    public String toString() {
        return "Function(" + domain + "." + name + ")";
    }
}
