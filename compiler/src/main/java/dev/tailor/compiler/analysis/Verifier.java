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
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that a model is well formed and reports every problem at once. Structural rules: each value has one
 * definition and a unique name in its graph; every use is defined before it (in the graph or an enclosing one);
 * use lists agree with node inputs; graph outputs are defined; every domain a node uses is imported.
 * Operator signatures (arity, attributes, types) are checked where an operator schema is known.
 */
public final class Verifier {
    private final List<Diagnostic> problems = new ArrayList<>();
    private final Set<String> domains = new HashSet<>();
    private final Set<String> localFunctions = new HashSet<>();

    private Verifier() {}

    /** All problems found in {@code model}; empty when it is well formed. */
    public static List<Diagnostic> verify(Model model) {
        Verifier v = new Verifier();
        for (OpsetImport o : model.opsets()) v.domains.add(canonical(o.domainName()));
        for (Function f : model.functions()) v.localFunctions.add(canonical(f.domain()) + "::" + f.name());
        if (model.graph() != null) v.graph(model.graph(), new ArrayList<>(), "graph");
        for (Function f : model.functions()) {
            Set<String> saved = new HashSet<>(v.domains);
            for (OpsetImport o : f.opsets()) v.domains.add(canonical(o.domainName()));
            v.graph(f.body(), new ArrayList<>(), "function '" + f.name() + "'");
            v.domains.clear();
            v.domains.addAll(saved);
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
                if (!in.uses().contains(new Use(n, i)))
                    problems.add(new Diagnostic("use-list", at, "input " + i + " is " + in
                            + " but that value's use list does not record it"));
            }
            String domain = canonical(n.domainName());
            if (!domains.contains(domain) && !localFunctions.contains(domain + "::" + n.opType()))
                problems.add(new Diagnostic("missing-opset", at, "uses domain '" + (domain.isEmpty() ? "ai.onnx" : domain)
                        + "', which the model does not import"));
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
