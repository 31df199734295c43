package dev.tailor.passes.cleanup;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.Option;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Merges nodes that compute the same thing: same operator, same inputs, equal attributes. Identical constant
 * initializers (same type, shape and bytes, up to a size limit) are merged first so that nodes reading copies
 * of one constant match too. Random and stateful operators and nodes with subgraphs are never merged.
 */
@PassDef(name = "cse", summary = "merge duplicate nodes and duplicate constant initializers")
public final class CommonSubexpressionElimination implements Pass {
    private static final Set<String> NON_DETERMINISTIC = Set.of("RandomNormal", "RandomNormalLike", "RandomUniform",
            "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout");

    @Option(doc = "largest initializer, in bytes, compared for duplicates", min = 0)
    long maxConstantBytes = 1 << 20;

    @Override
    public PassResult run(Model model, PassContext context) {
        if (model.graph() == null) return PassResult.unchanged();
        int constants = mergeConstants(model.graph());
        int[] nodes = {0};
        sweep(model.graph(), nodes);
        return PassResult.changed(constants + nodes[0] > 0).metric("nodes_merged", nodes[0])
                .metric("initializers_merged", constants);
    }

    private int mergeConstants(Graph g) {
        Map<ConstantKey, Value> seen = new HashMap<>();
        int merged = 0;
        for (Value v : List.copyOf(g.initializers())) {
            Tensor t = v.initializer();
            if (v.isGraphInput() || v.isGraphOutput() || t.data() == null || t.byteSize() > maxConstantBytes) continue;
            ConstantKey key = new ConstantKey(t);
            Value first = seen.putIfAbsent(key, v);
            if (first != null) {
                v.replaceAllUsesWith(first);
                g.removeInitializer(v);
                merged++;
            }
        }
        return merged;
    }

    private void sweep(Graph g, int[] merged) {
        Map<NodeKey, Node> seen = new HashMap<>();
        for (Node n : g.nodes()) {
            if (!n.subgraphs().isEmpty()) {
                for (Graph sub : n.subgraphs()) sweep(sub, merged);
                continue;
            }
            if (NON_DETERMINISTIC.contains(n.opType()) || n.outputs().isEmpty()) continue;
            NodeKey key = new NodeKey(n);
            Node first = seen.putIfAbsent(key, n);
            if (first == null || first.outputs().size() != n.outputs().size()) continue;
            boolean safe = true;
            for (int i = 0; i < n.outputs().size(); i++) {
                Value out = n.output(i);
                if (out != null && out.isGraphOutput()) safe = false; // keep the interface's names
                if (out != null && first.output(i) == null) safe = false;
            }
            if (!safe) continue;
            for (int i = 0; i < n.outputs().size(); i++)
                if (n.output(i) != null) n.output(i).replaceAllUsesWith(first.output(i));
            g.remove(n);
            merged[0]++;
        }
    }

    /** Identity of a node for merging: domain, op, overload, the input values themselves, attribute values. */
    private static final class NodeKey {
        private final Node node;
        private final int hash;

        NodeKey(Node n) {
            this.node = n;
            int h = Objects.hash(n.domainName(), n.opType(), n.overload());
            for (Value v : n.inputs()) h = h * 31 + System.identityHashCode(v);
            for (Attribute a : n.attributes()) h = h * 31 + a.name().hashCode();
            this.hash = h;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof NodeKey k)) return false;
            Node a = node;
            Node b = k.node;
            if (!a.opType().equals(b.opType()) || !a.domainName().equals(b.domainName())
                    || !Objects.equals(a.overload(), b.overload()) || a.inputs().size() != b.inputs().size()
                    || a.attributes().size() != b.attributes().size())
                return false;
            for (int i = 0; i < a.inputs().size(); i++) if (a.inputs().get(i) != b.inputs().get(i)) return false;
            for (Attribute x : a.attributes()) {
                Attribute y = b.attribute(x.name());
                if (y == null || !AttributeValues.equal(x, y)) return false;
            }
            return true;
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Identity of a constant: element type, shape and bytes. */
    private static final class ConstantKey {
        private final Tensor t;
        private final int hash;

        ConstantKey(Tensor t) {
            this.t = t;
            this.hash = Objects.hash(t.rawDataType(), Arrays.hashCode(t.dims()), t.bytes().hashCode());
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof ConstantKey k)) return false;
            if (t.rawDataType() != k.t.rawDataType() || !Arrays.equals(t.dims(), k.t.dims())) return false;
            ByteBuffer a = t.bytes();
            ByteBuffer b = k.t.bytes();
            return a.equals(b);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

}
