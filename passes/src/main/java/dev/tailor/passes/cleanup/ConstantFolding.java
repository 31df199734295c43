package dev.tailor.passes.cleanup;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.compiler.pass.Option;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Evaluates the parts of the graph that depend only on constants and replaces them with initializers.
 * Constant nodes become initializers directly. Every other constant subgraph is evaluated in one run of the
 * context's evaluator (ONNX Runtime), so any operator it supports folds; results larger than
 * {@code max_bytes} are left to be computed at run time, so folding never bloats a model.
 */
@PassDef(name = "fold", summary = "evaluate constant subgraphs into initializers (size-limited)")
public final class ConstantFolding implements Pass {
    private static final Set<String> NEVER = Set.of("RandomNormal", "RandomNormalLike", "RandomUniform",
            "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout", "If", "Loop", "Scan");

    @Option(doc = "largest folded result, in bytes; larger results stay computed", min = 0)
    long maxBytes = 1 << 20;

    @Override
    public PassResult run(Model model, PassContext context) {
        Graph g = model.graph();
        if (g == null) return PassResult.unchanged();
        int constants = constantNodesToInitializers(g);
        PassResult result = PassResult.changed(constants > 0).metric("constant_nodes", constants);

        List<Node> foldable = foldableNodes(g);
        if (foldable.isEmpty()) return result.metric("nodes_folded", 0);
        Evaluator evaluator = context.evaluator();
        if (evaluator == null)
            return result.metric("nodes_folded", 0).note(foldable.size()
                    + " constant nodes were not evaluated: no evaluator is available");

        Set<Node> members = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        members.addAll(foldable);
        List<Value> frontier = frontier(g, foldable, members);
        if (frontier.isEmpty()) {
            int removed = removeDead(g, foldable);
            return result.modified(removed > 0).metric("nodes_folded", removed);
        }
        Map<String, Tensor> values;
        try (Evaluator.Prepared p = evaluator.prepareForSingleRun(subModel(model, foldable, frontier),
                frontier.stream().map(Value::name).toList())) {
            values = p.run(Map.of());
        }
        FreshNames taken = FreshNames.of(g);
        int replaced = 0;
        long bytes = 0;
        int tooLarge = 0;
        for (Value v : frontier) {
            Tensor t = values.get(v.name());
            if (t == null) continue;
            if (t.byteSize() > maxBytes) {
                tooLarge++;
                continue;
            }
            Value c = g.addInitializer(t.withName(taken.fresh(v.name() + "_folded")));
            v.replaceAllUsesWith(c);
            replaced++;
            bytes += t.byteSize();
        }
        int removed = removeDead(g, foldable);
        return result.modified(removed > 0).metric("nodes_folded", removed).metric("values_replaced", replaced)
                .metric("bytes_added", bytes).metric("left_too_large", tooLarge);
    }

    /** Turns {@code Constant} nodes into initializers, keeping the output's name. */
    private int constantNodesToInitializers(Graph g) {
        int count = 0;
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Constant") || !n.domainName().isEmpty() || n.outputs().size() != 1) continue;
            Value out = n.output(0);
            if (out == null || out.isGraphOutput()) continue;
            Tensor t = constantValue(n, out.name());
            if (t == null) continue;
            String name = out.name();
            out.setName(name + "__constant");
            Value c = g.addInitializer(t.withName(name));
            c.setType(out.type());
            out.replaceAllUsesWith(c);
            g.remove(n);
            count++;
        }
        return count;
    }

    private static Tensor constantValue(Node n, String name) {
        if (n.attributes().size() != 1) return null;
        Attribute a = n.attributes().get(0);
        return switch (a.name()) {
            case "value" -> a.kind() == Attribute.Kind.TENSOR ? a.asTensor().withName(name) : null;
            case "value_float" -> Tensor.ofFloats(name, new long[0], a.asFloat());
            case "value_floats" -> Tensor.ofFloats(name, new long[] {a.asFloats().length}, a.asFloats());
            case "value_int" -> Tensor.ofLongs(name, new long[0], a.asInt());
            case "value_ints" -> Tensor.ofLongs(name, new long[] {a.asInts().length}, a.asInts());
            case "value_string" -> Tensor.ofStrings(name, new long[0], List.of(a.asString()));
            default -> null;
        };
    }

    /** Nodes, in order, whose inputs are all constants or outputs of earlier foldable nodes. */
    private List<Node> foldableNodes(Graph g) {
        Set<Value> constant = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Value v : g.initializers()) if (!v.isGraphInput()) constant.add(v);
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (NEVER.contains(n.opType()) || !n.subgraphs().isEmpty() || n.outputs().isEmpty()
                    || (!n.domainName().isEmpty() && !n.domainName().equals("com.microsoft")))
                continue;
            boolean all = !n.inputs().isEmpty();
            for (Value in : n.inputs()) if (in != null && !constant.contains(in)) all = false;
            if (!all) continue;
            out.add(n);
            for (Value o : n.outputs()) if (o != null) constant.add(o);
        }
        return out;
    }

    /** Outputs of folded nodes that something outside the folded set (or the graph interface) uses. */
    private static List<Value> frontier(Graph g, List<Node> foldable, Set<Node> members) {
        Set<Value> out = new LinkedHashSet<>();
        for (Node n : foldable) {
            for (Value o : n.outputs()) {
                if (o == null || o.isGraphOutput()) continue;
                boolean external = o.uses().stream().anyMatch(u -> !members.contains(u.node()));
                if (external) out.add(o);
            }
        }
        return new ArrayList<>(out);
    }

    /** A model of just the folded nodes over copies of their constant inputs. */
    private static Model subModel(Model model, List<Node> nodes, List<Value> frontier) {
        GraphBuilder b = new GraphBuilder("fold");
        Graph sub = b.build();
        Map<Value, Value> map = new HashMap<>();
        for (Node n : nodes) {
            List<Value> ins = new ArrayList<>();
            for (Value in : n.inputs()) {
                if (in == null) {
                    ins.add(null);
                    continue;
                }
                Value m = map.get(in);
                if (m == null) {
                    m = sub.addInitializer(in.initializer().withName(in.name()));
                    map.put(in, m);
                }
                ins.add(m);
            }
            List<String> outs = new ArrayList<>();
            for (Value o : n.outputs()) outs.add(o == null ? null : o.name());
            Node copy = new Node(n.domain(), n.opType(), ins, outs);
            for (Attribute a : n.attributes()) copy.addAttribute(a);
            sub.append(copy);
            for (int i = 0; i < outs.size(); i++) if (n.output(i) != null) map.put(n.output(i), copy.output(i));
        }
        for (Value v : frontier) sub.addOutput(map.get(v));
        Model m = new Model(sub);
        m.setIrVersion(model.irVersion());
        for (OpsetImport o : model.opsets()) m.opsets().add(o);
        return m;
    }

    /** Removes folded nodes nothing uses any more, last first. */
    private static int removeDead(Graph g, List<Node> foldable) {
        int removed = 0;
        for (int i = foldable.size() - 1; i >= 0; i--) {
            Node n = foldable.get(i);
            if (n.graph() == g && Rewrites.unused(n)) {
                g.remove(n);
                removed++;
            }
        }
        return removed;
    }


}
