package dev.tailor.compiler.analysis;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Function;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that a model is well formed and reports every problem at once. Structural rules: each value has one
 * definition and a unique name in its graph; every use is defined before it (in the graph or an enclosing one);
 * use lists agree with node inputs; graph outputs are defined; every domain a node uses is imported.
 *
 * <p>Operator signatures are checked for every node whose operator has a schema in {@link OpSchemas} at the
 * version the model (or function) imports: input and output arity, attribute names, kinds and required
 * attributes, and type constraints where the types of inputs and outputs are known (declared, or set by
 * {@link ShapeInference}). Nodes that call model-local functions, and operators without a schema, are not
 * checked. Rules: {@code arity}, {@code unknown-attribute}, {@code duplicate-attribute}, {@code attribute-type},
 * {@code missing-attribute}, {@code type-constraint}, {@code operator-version} (the operator does not exist yet at
 * the imported version) and {@code deprecated-operator}.
 */
public final class Verifier {
    private final List<Diagnostic> problems = new ArrayList<>();
    private final Map<String, Long> domains = new HashMap<>();
    private final Set<String> localFunctions = new HashSet<>();
    private final OpSchemas schemas;
    private ShapeInference.Result inferred;

    private Verifier(OpSchemas schemas) {
        this.schemas = schemas;
    }

    /** All problems found in {@code model}; empty when it is well formed. */
    public static List<Diagnostic> verify(Model model) {
        return verify(model, OpSchemas.standard());
    }

    /** All problems found in {@code model}, checking operator signatures against {@code schemas}. */
    public static List<Diagnostic> verify(Model model, OpSchemas schemas) {
        Verifier v = new Verifier(schemas);
        // Types of values the file does not declare (node outputs without value_info) come from inference, so that
        // type constraints are checked along the whole graph, not only at graph inputs and initializers.
        v.inferred = ShapeInference.analyze(model, schemas);
        for (OpsetImport o : model.opsets()) v.domains.put(canonical(o.domainName()), o.version());
        for (Function f : model.functions()) v.localFunctions.add(canonical(f.domain()) + "::" + f.name());
        if (model.graph() != null) v.graph(model.graph(), new ArrayList<>(), "graph");
        for (Function f : model.functions()) {
            Map<String, Long> saved = new HashMap<>(v.domains);
            for (OpsetImport o : f.opsets()) v.domains.put(canonical(o.domainName()), o.version());
            v.graph(f.body(), new ArrayList<>(), "function '" + f.name() + "'");
            v.domains.clear();
            v.domains.putAll(saved);
        }
        return List.copyOf(v.problems);
    }

    /** Throws {@link VerificationException} listing every problem, if there are any. */
    public static void check(Model model) {
        List<Diagnostic> d = verify(model);
        if (!d.isEmpty()) throw new VerificationException(d);
    }

    private void graph(Graph g, List<Set<Value>> outer, String where) {
        Set<Value> defined = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, Value> names = new java.util.HashMap<>();
        for (Value v : g.initializers()) define(v, defined, names, where);
        for (Value v : g.sparseInitializers()) define(v, defined, names, where);
        for (Value v : g.inputs()) if (!defined.contains(v)) define(v, defined, names, where);
        List<Set<Value>> scopes = new ArrayList<>(outer);
        scopes.add(defined);
        for (Node n : g.nodes()) {
            String at = describe(n);
            if (n.graph() != g) problems.add(new Diagnostic("node-graph", at, "is linked into a graph it does not record"));
            for (int i = 0; i < n.inputs().size(); i++) {
                Value in = n.inputs().get(i);
                if (in == null) continue;
                if (!visible(in, scopes))
                    problems.add(new Diagnostic("use-before-definition", at, "input " + i + " uses " + in
                            + (in.producer() != null ? ", which is computed later or in another graph"
                            : ", which no node, input or initializer of this graph or an enclosing one defines")));
                if (!in.hasUse(n, i))
                    problems.add(new Diagnostic("use-list", at, "input " + i + " is " + in
                            + " but that value's use list does not record it"));
            }
            String domain = canonical(n.domainName());
            boolean local = localFunctions.contains(domain + "::" + n.opType());
            if (!domains.containsKey(domain) && !local)
                problems.add(new Diagnostic("missing-opset", at, "uses domain '" + (domain.isEmpty() ? "ai.onnx" : domain)
                        + "', which the model does not import"));
            else if (!local) signature(n, at, domains.get(domain));
            for (Attribute a : n.attributes())
                for (Graph sub : a.graphs()) graph(sub, scopes, at + ", attribute '" + a.name() + "'");
            for (int i = 0; i < n.outputs().size(); i++) {
                Value out = n.outputs().get(i);
                if (out == null) continue;
                if (out.producer() != n || out.outputIndex() != i)
                    problems.add(new Diagnostic("producer", at, "output " + i + " " + out + " names another producer"));
                define(out, defined, names, where);
            }
        }
        for (Value v : g.inputs()) checkUses(v, where);
        for (Value v : g.initializers()) checkUses(v, where);
        for (Node n : g.nodes()) for (Value out : n.outputs()) if (out != null) checkUses(out, where);
        for (Value out : g.outputs())
            if (!visible(out, scopes))
                problems.add(new Diagnostic("undefined-output", where, "output " + out + " is not defined"));
    }

    private void define(Value v, Set<Value> defined, Map<String, Value> names, String where) {
        if (!defined.add(v)) {
            problems.add(new Diagnostic("single-definition", where, v + " is defined more than once"));
            return;
        }
        Value prior = names.putIfAbsent(v.name(), v);
        if (prior != null && prior != v)
            problems.add(new Diagnostic("unique-name", where, "two values are named '" + v.name() + "'"));
    }

    /** Every recorded use must be a real input of a node still in a graph. */
    private void checkUses(Value v, String where) {
        for (Use u : v.uses()) {
            Node n = u.node();
            if (n.graph() == null || u.index() >= n.inputs().size() || n.inputs().get(u.index()) != v)
                problems.add(new Diagnostic("use-list", where, v + " records a use by input " + u.index() + " of "
                        + describe(n) + " that does not exist"));
        }
    }

    // ---- operator signatures ----

    private void signature(Node n, String at, Long version) {
        if (version == null) return;
        String domain = OpSchemas.canonicalDomain(n.domainName());
        if (domain.equals("ai.onnx") && version > OpSchemas.ONNX_COVERED_OPSET) return;
        OpSchema s = schemas.lookup(n.domainName(), n.opType(), version);
        if (s == null) {
            var versions = schemas.versions(domain, n.opType());
            if (!versions.isEmpty())
                problems.add(new Diagnostic("operator-version", at, n.opType() + " is not defined in " + domain
                        + " opset " + version + "; its first version is " + versions.iterator().next().since()));
            return;
        }
        if (s.unchecked()) return;
        if (s.deprecated()) {
            problems.add(new Diagnostic("deprecated-operator", at, n.opType() + " was removed from " + domain
                    + " at opset " + s.since() + " (the model imports opset " + version + ")"));
            return;
        }
        arity(n, at, s, "input", n.inputs(), s.minInputs(), s.maxInputs(), s.inputs());
        arity(n, at, s, "output", n.outputs(), s.minOutputs(), s.maxOutputs(), s.outputs());
        attributes(n, at, s);
        types(n, at, s);
    }

    private void arity(Node n, String at, OpSchema s, String what, List<Value> actual, int min, int max,
                       List<OpSchema.Parameter> formals) {
        int count = actual.size();
        if (count < min || count > max) {
            problems.add(new Diagnostic("arity", at, "has " + count + " " + what + (count == 1 ? "" : "s") + "; " + s
                    + " takes " + range(min, max)));
            return;
        }
        for (int i = 0; i < count; i++) {
            OpSchema.Parameter p = i < formals.size() ? formals.get(i) : null;
            if (actual.get(i) == null && p != null && p.option() == OpSchema.Option.SINGLE)
                problems.add(new Diagnostic("arity", at, what + " " + i + " ('" + p.name() + "') is omitted, but "
                        + s + " requires it"));
        }
    }

    private static String range(int min, int max) {
        if (max == OpSchema.UNBOUNDED) return "at least " + min;
        return min == max ? "exactly " + min : min + " to " + max;
    }

    private void attributes(Node n, String at, OpSchema s) {
        Set<String> seen = new HashSet<>();
        for (Attribute a : n.attributes()) {
            if (!seen.add(a.name())) {
                problems.add(new Diagnostic("duplicate-attribute", at, "attribute '" + a.name() + "' appears more than once"));
                continue;
            }
            OpSchema.AttributeSpec spec = s.attributes().get(a.name());
            if (spec == null) {
                if (a.name().startsWith("__")) continue; // ONNX reserves such names for internal use
                problems.add(new Diagnostic("unknown-attribute", at, "has attribute '" + a.name() + "', which " + s
                        + " does not define" + suggestion(a.name(), s.attributes().keySet())));
            } else if (a.kind() != spec.kind()) {
                problems.add(new Diagnostic("attribute-type", at, "attribute '" + a.name() + "' is " + a.kind()
                        + ", but " + s + " declares it " + spec.kind()));
            }
        }
        for (OpSchema.AttributeSpec spec : s.attributes().values())
            if (spec.required() && !seen.contains(spec.name()))
                problems.add(new Diagnostic("missing-attribute", at, "lacks attribute '" + spec.name() + "', which "
                        + s + " requires"));
    }

    private static String suggestion(String name, Set<String> known) {
        if (known.isEmpty()) return " (it takes no attributes)";
        return " (it takes " + String.join(", ", known) + ")";
    }

    private void types(Node n, String at, OpSchema s) {
        Map<String, String> bound = new HashMap<>();
        Map<String, String> boundBy = new HashMap<>();
        Set<String> failed = new HashSet<>();
        check(at, s, "input", n.inputs(), s.inputs(), bound, boundBy, failed);
        check(at, s, "output", n.outputs(), s.outputs(), bound, boundBy, failed);
    }

    /** One problem per constraint and node: values bound to a constraint that already failed are not reported again. */
    private void check(String at, OpSchema s, String what, List<Value> actual, List<OpSchema.Parameter> formals,
                       Map<String, String> bound, Map<String, String> boundBy, Set<String> failed) {
        for (int i = 0; i < actual.size(); i++) {
            Value v = actual.get(i);
            OpSchema.Parameter p = formalAt(formals, i);
            if (v == null || p == null || failed.contains(p.type())) continue;
            String type = TypeStrings.of(inferred != null ? inferred.type(v) : TypeStrings.typeOf(v));
            if (type == null) continue;
            Set<String> allowed = s.allowedTypes(p.type());
            String slot = what + " " + i + " ('" + p.name() + "')";
            if (!allowed.contains(type)) {
                failed.add(p.type());
                problems.add(new Diagnostic("type-constraint", at, slot + " is " + type + ", but "
                        + (s.constraints().containsKey(p.type()) ? p.type() + " of " + s + " allows " + abbreviate(allowed)
                        : s + " requires " + p.type())));
                continue;
            }
            if (!s.constraints().containsKey(p.type()) || !p.homogeneous() && p.option() == OpSchema.Option.VARIADIC)
                continue;
            String prior = bound.putIfAbsent(p.type(), type);
            if (prior == null) boundBy.put(p.type(), slot);
            else if (!prior.equals(type)) {
                failed.add(p.type());
                problems.add(new Diagnostic("type-constraint", at, slot + " is " + type + ", but " + boundBy.get(p.type())
                        + " is " + prior + " and both are " + p.type() + " of " + s));
            }
        }
    }

    private static OpSchema.Parameter formalAt(List<OpSchema.Parameter> formals, int i) {
        if (i < formals.size()) return formals.get(i);
        if (!formals.isEmpty() && formals.get(formals.size() - 1).option() == OpSchema.Option.VARIADIC)
            return formals.get(formals.size() - 1);
        return null;
    }

    private static String abbreviate(Set<String> allowed) {
        List<String> list = new ArrayList<>(allowed);
        if (list.size() <= 8) return String.join(", ", list);
        return String.join(", ", list.subList(0, 8)) + " and " + (list.size() - 8) + " more";
    }

    private static boolean visible(Value v, List<Set<Value>> scopes) {
        for (Set<Value> s : scopes) if (s.contains(v)) return true;
        return false;
    }

    private static String canonical(String domain) {
        return domain == null || domain.equals("ai.onnx") ? "" : domain;
    }

    static String describe(Node n) {
        String op = n.toString();
        if (n.name() != null && !n.name().isEmpty()) return "node '" + n.name() + "' (" + n.opType() + ")";
        StringBuilder outs = new StringBuilder();
        for (Value v : n.outputs()) if (v != null) outs.append(outs.length() == 0 ? "" : ", ").append(v.name());
        return "node " + op + " computing " + outs;
    }
}
