package dev.tailor.compiler.analysis;

import dev.tailor.compiler.analysis.OpSchema.AttributeSpec;
import dev.tailor.compiler.analysis.OpSchema.Option;
import dev.tailor.compiler.analysis.OpSchema.Parameter;
import dev.tailor.compiler.ir.Attribute;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * A registry of operator signatures, keyed by domain, operator and version. {@link #standard()} holds the ONNX
 * standard domains (opsets 1-17 generated from onnx 1.12 by {@code tools/schemas/gen_op_schemas.py}, and the
 * changes of opsets 18-23 to the operators transformer models use, written from the ONNX operator specification)
 * and the {@code com.microsoft} operators that ONNX Runtime's transformer optimizer emits.
 *
 * <p>The text format, one block per operator version:
 * <pre>
 * schema DOMAIN OP SINCE [deprecated | unchecked] [extends [OP] VERSION]
 * input NAME TYPE single|optional|variadic|variadic-heterogeneous
 * output NAME TYPE single|optional|variadic|variadic-heterogeneous
 * arity MIN_IN MAX_IN MIN_OUT MAX_OUT          ('*' = unbounded; computed from the parameters when absent)
 * attr NAME KIND required|optional
 * drop-attr NAME
 * constraint PARAM TYPE...
 * </pre>
 * A block that {@code extends} another version (of the same operator unless OP is given) starts as a copy of it:
 * its {@code input} lines, if any, replace all inputs (likewise outputs), {@code attr} adds or replaces an
 * attribute, {@code drop-attr} removes one and {@code constraint} replaces one constraint. An {@code unchecked}
 * block, with no lines, records that a version exists without describing it ({@link OpSchema#unchecked()}).
 */
public final class OpSchemas {
    private static final List<String> STANDARD_RESOURCES =
            List.of("op-schemas-onnx.txt", "op-schemas-onnx-18-23.txt", "op-schemas-com.microsoft.txt");
    private static volatile OpSchemas standard;

    /**
     * The newest ai.onnx opset the built-in signatures describe. A model importing a newer one may use operator
     * versions the registry has never seen, so the verifier does not check its ai.onnx nodes.
     */
    public static final int ONNX_COVERED_OPSET = 23;

    private final Map<String, NavigableMap<Integer, OpSchema>> byOp = new HashMap<>();

    private OpSchemas() {}

    /** The built-in registry (loaded once). */
    public static OpSchemas standard() {
        OpSchemas s = standard;
        if (s == null) {
            synchronized (OpSchemas.class) {
                s = standard;
                if (s == null) {
                    s = new OpSchemas();
                    for (String r : STANDARD_RESOURCES) {
                        try (InputStream in = OpSchemas.class.getResourceAsStream(r)) {
                            if (in == null) throw new IllegalStateException("missing resource " + r);
                            s.load(new InputStreamReader(in, StandardCharsets.UTF_8), r);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                    standard = s;
                }
            }
        }
        return s;
    }

    /** A registry read from text in the format above (for tests and tools). */
    public static OpSchemas parse(Reader text, String source) {
        OpSchemas s = new OpSchemas();
        try {
            s.load(text, source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s;
    }

    /** The domain as the registry spells it: "" and null are {@code ai.onnx}. */
    public static String canonicalDomain(String domain) {
        return domain == null || domain.isEmpty() ? "ai.onnx" : domain;
    }

    /**
     * The signature that applies to {@code op} of {@code domain} in a model importing that domain at
     * {@code version}: the latest version not after it; null if there is none (unknown operator, or an operator
     * introduced after {@code version}).
     */
    public OpSchema lookup(String domain, String op, long version) {
        NavigableMap<Integer, OpSchema> versions = byOp.get(key(canonicalDomain(domain), op));
        if (versions == null) return null;
        Map.Entry<Integer, OpSchema> e = versions.floorEntry((int) Math.min(version, Integer.MAX_VALUE));
        return e == null ? null : e.getValue();
    }

    /** Every version of {@code op} in {@code domain}, oldest first (empty if unknown). */
    public Collection<OpSchema> versions(String domain, String op) {
        NavigableMap<Integer, OpSchema> versions = byOp.get(key(canonicalDomain(domain), op));
        return versions == null ? List.of() : versions.values();
    }

    /** True when the registry has some version of {@code op} in {@code domain}. */
    public boolean knows(String domain, String op) {
        return byOp.containsKey(key(canonicalDomain(domain), op));
    }

    /** Number of operator versions held. */
    public int size() {
        return byOp.values().stream().mapToInt(Map::size).sum();
    }

    private static String key(String domain, String op) {
        return domain + "::" + op;
    }

    // ---- reading ----

    private void load(Reader text, String source) throws IOException {
        BufferedReader in = new BufferedReader(text);
        Builder current = null;
        int lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
            lineNo++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            String[] w = t.split("\\s+");
            try {
                if (w[0].equals("schema")) {
                    if (current != null) add(current.build());
                    current = start(w);
                    continue;
                }
                if (current == null) throw new IllegalArgumentException("'" + w[0] + "' outside a schema block");
                current.apply(w);
            } catch (RuntimeException e) {
                throw new IllegalStateException(source + ":" + lineNo + ": " + e.getMessage(), e);
            }
        }
        try {
            if (current != null) add(current.build());
        } catch (RuntimeException e) {
            throw new IllegalStateException(source + ":" + lineNo + ": " + e.getMessage(), e);
        }
    }

    private Builder start(String[] w) {
        if (w.length < 4) throw new IllegalArgumentException("schema needs DOMAIN OP SINCE");
        Builder b = new Builder(w[1], w[2], Integer.parseInt(w[3]));
        for (int i = 4; i < w.length; i++) {
            if (w[i].equals("deprecated")) b.deprecated = true;
            else if (w[i].equals("unchecked")) b.unchecked = true;
            else if (w[i].equals("extends")) {
                if (i + 1 >= w.length) throw new IllegalArgumentException("extends needs [OP] VERSION");
                String baseOp = w[i + 1].chars().allMatch(Character::isDigit) ? w[2] : w[++i];
                if (i + 1 >= w.length) throw new IllegalArgumentException("extends needs [OP] VERSION");
                int baseVersion = Integer.parseInt(w[++i]);
                NavigableMap<Integer, OpSchema> versions = byOp.get(key(w[1], baseOp));
                OpSchema base = versions == null ? null : versions.get(baseVersion);
                if (base == null)
                    throw new IllegalArgumentException("extends " + baseOp + "-" + baseVersion + ", which is not defined before");
                b.copy(base);
            } else throw new IllegalArgumentException("unexpected '" + w[i] + "'");
        }
        return b;
    }

    private void add(OpSchema s) {
        OpSchema prior = byOp.computeIfAbsent(key(s.domain(), s.name()), k -> new TreeMap<>()).put(s.since(), s);
        if (prior != null) throw new IllegalStateException(s + " is defined twice");
    }

    private static final class Builder {
        final String domain;
        final String name;
        final int since;
        boolean deprecated;
        boolean unchecked;
        List<Parameter> inputs = new ArrayList<>();
        List<Parameter> outputs = new ArrayList<>();
        boolean inputsGiven;
        boolean outputsGiven;
        int[] arity;
        final Map<String, AttributeSpec> attributes = new LinkedHashMap<>();
        final Map<String, Set<String>> constraints = new LinkedHashMap<>();

        Builder(String domain, String name, int since) {
            this.domain = domain;
            this.name = name;
            this.since = since;
        }

        void copy(OpSchema base) {
            inputs.addAll(base.inputs());
            outputs.addAll(base.outputs());
            arity = new int[] {base.minInputs(), base.maxInputs(), base.minOutputs(), base.maxOutputs()};
            attributes.putAll(base.attributes());
            constraints.putAll(base.constraints());
        }

        void apply(String[] w) {
            switch (w[0]) {
                case "input" -> {
                    if (!inputsGiven) {
                        inputs = new ArrayList<>();
                        inputsGiven = true;
                        arity = null;
                    }
                    inputs.add(parameter(w));
                }
                case "output" -> {
                    if (!outputsGiven) {
                        outputs = new ArrayList<>();
                        outputsGiven = true;
                        arity = null;
                    }
                    outputs.add(parameter(w));
                }
                case "arity" -> {
                    if (w.length != 5) throw new IllegalArgumentException("arity needs four bounds");
                    arity = new int[] {bound(w[1]), bound(w[2]), bound(w[3]), bound(w[4])};
                }
                case "attr" -> {
                    if (w.length != 4) throw new IllegalArgumentException("attr needs NAME KIND required|optional");
                    Attribute.Kind kind = Attribute.Kind.valueOf(w[2]);
                    if (!w[3].equals("required") && !w[3].equals("optional"))
                        throw new IllegalArgumentException("attr must be required or optional, not " + w[3]);
                    attributes.put(w[1], new AttributeSpec(w[1], kind, w[3].equals("required")));
                }
                case "drop-attr" -> {
                    if (attributes.remove(w[1]) == null) throw new IllegalArgumentException("no attribute " + w[1] + " to drop");
                }
                case "constraint" -> {
                    if (w.length < 3) throw new IllegalArgumentException("constraint needs PARAM and types");
                    constraints.put(w[1], new LinkedHashSet<>(Arrays.asList(w).subList(2, w.length)));
                }
                default -> throw new IllegalArgumentException("unknown line kind '" + w[0] + "'");
            }
        }

        private static Parameter parameter(String[] w) {
            if (w.length < 4) throw new IllegalArgumentException(w[0] + " needs NAME TYPE OPTION");
            return switch (w[3]) {
                case "single" -> new Parameter(w[1], w[2], Option.SINGLE, true);
                case "optional" -> new Parameter(w[1], w[2], Option.OPTIONAL, true);
                case "variadic" -> new Parameter(w[1], w[2], Option.VARIADIC, true);
                case "variadic-heterogeneous" -> new Parameter(w[1], w[2], Option.VARIADIC, false);
                default -> throw new IllegalArgumentException("unknown option " + w[3]);
            };
        }

        private static int bound(String s) {
            return s.equals("*") ? OpSchema.UNBOUNDED : Integer.parseInt(s);
        }

        /** ONNX's own rule: a variadic tail makes the maximum unbounded and needs one value. */
        private static int[] bounds(List<Parameter> params) {
            int min = 0;
            int max = params.size();
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                if (p.option() == Option.SINGLE) min = i + 1;
                else if (p.option() == Option.VARIADIC) {
                    min = i + 1;
                    max = OpSchema.UNBOUNDED;
                }
            }
            return new int[] {min, max};
        }

        OpSchema build() {
            if (unchecked && (!inputs.isEmpty() || !attributes.isEmpty() || !constraints.isEmpty()))
                throw new IllegalArgumentException(name + "-" + since + ": an unchecked version has no signature lines");
            for (Parameter p : inputs) checkType(p);
            for (Parameter p : outputs) checkType(p);
            int[] a = arity;
            if (a == null) {
                int[] in = bounds(inputs);
                int[] out = bounds(outputs);
                a = new int[] {in[0], in[1], out[0], out[1]};
            }
            return new OpSchema(domain, name, since, deprecated, unchecked, inputs, outputs, a[0], a[1], a[2], a[3],
                    attributes, constraints);
        }

        private void checkType(Parameter p) {
            if (!p.type().contains("(") && !constraints.containsKey(p.type()))
                throw new IllegalArgumentException(name + "-" + since + ": parameter " + p.name()
                        + " has type " + p.type() + ", which no constraint defines");
        }
    }
}
