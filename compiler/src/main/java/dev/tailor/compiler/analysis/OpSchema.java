package dev.tailor.compiler.analysis;

import dev.tailor.compiler.ir.Attribute;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The signature of one version of an operator: its formal inputs and outputs (single, optional or variadic), the
 * bounds on how many a node may pass, its attributes (name, kind, required or not) and its type constraints. A
 * schema applies to models that import its domain at a version from {@link #since()} up to the next version of the
 * same operator; {@link OpSchemas} picks it.
 *
 * <p>A formal parameter's {@link Parameter#type()} is either the name of a type constraint ({@code T}) or a literal
 * type string such as {@code tensor(int64)}; type strings follow ONNX's spelling without spaces
 * ({@code seq(tensor(float))}, {@code map(int64,float)}).
 */
public final class OpSchema {
    /** Unbounded arity. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    /** How a formal parameter is passed. */
    public enum Option {
        /** Exactly one value, never omitted. */
        SINGLE,
        /** One value that may be omitted (an empty name, or left off the end). */
        OPTIONAL,
        /** One or more values (the last parameter only); all of one type unless heterogeneous. */
        VARIADIC
    }

    /** A formal input or output. {@code homogeneous} matters for variadic parameters only. */
    public record Parameter(String name, String type, Option option, boolean homogeneous) {
        public Parameter {
            Objects.requireNonNull(name);
            Objects.requireNonNull(type);
            Objects.requireNonNull(option);
        }
    }

    /** An attribute the operator accepts. */
    public record AttributeSpec(String name, Attribute.Kind kind, boolean required) {}

    private final String domain;
    private final String name;
    private final int since;
    private final boolean deprecated;
    private final boolean unchecked;
    private final List<Parameter> inputs;
    private final List<Parameter> outputs;
    private final int minInputs;
    private final int maxInputs;
    private final int minOutputs;
    private final int maxOutputs;
    private final Map<String, AttributeSpec> attributes;
    private final Map<String, Set<String>> constraints;

    OpSchema(String domain, String name, int since, boolean deprecated, boolean unchecked, List<Parameter> inputs,
             List<Parameter> outputs, int minInputs, int maxInputs, int minOutputs, int maxOutputs,
             Map<String, AttributeSpec> attributes, Map<String, Set<String>> constraints) {
        this.domain = domain;
        this.name = name;
        this.since = since;
        this.deprecated = deprecated;
        this.unchecked = unchecked;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.minInputs = minInputs;
        this.maxInputs = maxInputs;
        this.minOutputs = minOutputs;
        this.maxOutputs = maxOutputs;
        this.attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        Map<String, Set<String>> c = new LinkedHashMap<>();
        constraints.forEach((k, v) -> c.put(k, Collections.unmodifiableSet(new LinkedHashSet<>(v))));
        this.constraints = Collections.unmodifiableMap(c);
    }

    /** The domain, with the default domain spelt {@code ai.onnx}. */
    public String domain() {
        return domain;
    }

    public String name() {
        return name;
    }

    /** The opset version this signature appeared in. */
    public int since() {
        return since;
    }

    /** True when ONNX withdrew the operator at this version (a node of it is invalid). */
    public boolean deprecated() {
        return deprecated;
    }

    /**
     * True for a version the registry knows exists but does not describe (a placeholder): nodes of it are not
     * checked, so that an older signature is never applied to a newer operator version.
     */
    public boolean unchecked() {
        return unchecked;
    }

    public List<Parameter> inputs() {
        return inputs;
    }

    public List<Parameter> outputs() {
        return outputs;
    }

    public int minInputs() {
        return minInputs;
    }

    /** The most inputs a node may pass, or {@link #UNBOUNDED}. */
    public int maxInputs() {
        return maxInputs;
    }

    public int minOutputs() {
        return minOutputs;
    }

    /** The most outputs a node may have, or {@link #UNBOUNDED}. */
    public int maxOutputs() {
        return maxOutputs;
    }

    /** Accepted attributes by name, in declaration order. */
    public Map<String, AttributeSpec> attributes() {
        return attributes;
    }

    /** Type constraints: parameter name to the allowed type strings. */
    public Map<String, Set<String>> constraints() {
        return constraints;
    }

    /** The formal input that node input {@code i} binds to (the last one for variadic tails), or null. */
    public Parameter input(int i) {
        return formal(inputs, i);
    }

    /** The formal output that node output {@code i} binds to, or null. */
    public Parameter output(int i) {
        return formal(outputs, i);
    }

    private static Parameter formal(List<Parameter> params, int i) {
        if (i < params.size()) return params.get(i);
        if (!params.isEmpty() && params.get(params.size() - 1).option() == Option.VARIADIC)
            return params.get(params.size() - 1);
        return null;
    }

    /** The type strings a parameter of type {@code type} accepts: its constraint's set, or the literal type. */
    public Set<String> allowedTypes(String type) {
        Set<String> s = constraints.get(type);
        return s != null ? s : Set.of(type);
    }

    /** {@code domain.Name-since}, as ONNX's changelog names operator versions. */
    @Override
    public String toString() {
        return (domain.equals("ai.onnx") ? "" : domain + ".") + name + "-" + since;
    }
}
