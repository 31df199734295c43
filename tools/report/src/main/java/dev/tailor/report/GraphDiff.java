package dev.tailor.report;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.report.DiffReport.InitializerChange;
import dev.tailor.report.DiffReport.Kind;
import dev.tailor.report.DiffReport.NodeChange;
import dev.tailor.report.DiffReport.OpTypeChange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Compares two models: matches their nodes ({@link NodeMatch}), pairs their initializers and reports what was
 * added, removed and changed, with parameters and estimated FLOPs per token on each side. Neither model is
 * modified.
 *
 * <p>A matched node is <em>changed</em> when its op type or domain, attributes, number of inputs or outputs differ,
 * when an input comes from a different source (rewired), or when a constant input differs in type or shape.
 * Initializers pair by name, then through matched nodes (the same input slot), then by name prefix with the same
 * element count (as quantization writes {@code w} as {@code w_quantized}); a pair is reported when its element
 * type, shape or size differs.
 */
public final class GraphDiff {
    /** The sequence length at which FLOPs per token are estimated. */
    public static final int DEFAULT_SEQUENCE_LENGTH = 128;

    private final int sequenceLength;
    private final BlockMap.BlockMapper blockMapper;

    private GraphDiff(int sequenceLength, BlockMap.BlockMapper blockMapper) {
        this.sequenceLength = sequenceLength;
        this.blockMapper = blockMapper;
    }

    public static GraphDiff standard() {
        return new GraphDiff(DEFAULT_SEQUENCE_LENGTH, new AnatomyBlockMapper());
    }

    public GraphDiff withSequenceLength(int length) {
        if (length < 1) throw new IllegalArgumentException("sequence length must be positive: " + length);
        return new GraphDiff(length, blockMapper);
    }

    /** Adds a per-block map (built from the anatomy of both models) to every report. */
    public GraphDiff withBlockMapper(BlockMap.BlockMapper mapper) {
        return new GraphDiff(sequenceLength, mapper);
    }

    public static DiffReport compare(String beforeLabel, Model before, String afterLabel, Model after) {
        return standard().diff(beforeLabel, before, afterLabel, after);
    }

    public DiffReport diff(String beforeLabel, Model before, String afterLabel, Model after) {
        Graph ga = before.graph(), gb = after.graph();
        NodeMatch match = NodeMatch.of(ga, gb);
        Map<Value, Value> inits = pairInitializers(ga, gb, match);

        List<NodeChange> changes = new ArrayList<>();
        Map<String, int[]> byOp = new TreeMap<>(); // before, after, added, removed, changed
        for (Node a : ga.nodes()) byOp.computeIfAbsent(a.opType(), k -> new int[5])[0]++;
        for (Node b : gb.nodes()) byOp.computeIfAbsent(b.opType(), k -> new int[5])[1]++;
        for (Node a : match.unmatchedBefore()) {
            changes.add(new NodeChange(Kind.REMOVED, a.opType(), a.name(), null, List.of()));
            byOp.get(a.opType())[3]++;
        }
        for (Node[] p : match.pairs()) {
            List<String> reasons = differences(p[0], p[1], match, inits);
            if (reasons.isEmpty()) continue;
            changes.add(new NodeChange(Kind.CHANGED, p[1].opType(), p[0].name(), p[1].name(), reasons));
            byOp.get(p[1].opType())[4]++;
        }
        for (Node b : match.unmatchedAfter()) {
            changes.add(new NodeChange(Kind.ADDED, b.opType(), null, b.name(), List.of()));
            byOp.get(b.opType())[2]++;
        }
        List<OpTypeChange> ops = new ArrayList<>();
        byOp.forEach((op, c) -> ops.add(new OpTypeChange(op, c[0], c[1], c[2], c[3], c[4])));
        ops.sort(Comparator.comparingInt((OpTypeChange o) -> -(o.added() + o.removed() + o.changed()))
                .thenComparing(OpTypeChange::opType));

        DiffReport.Matching matching = new DiffReport.Matching(match.byName(), match.byStructure(),
                match.unmatchedBefore().size(), match.unmatchedAfter().size());
        DiffReport r = new DiffReport(ModelStats.side(beforeLabel, before, sequenceLength),
                ModelStats.side(afterLabel, after, sequenceLength), matching, List.copyOf(ops), List.copyOf(changes),
                initializerChanges(ga, gb, inits), null, List.of(), List.of(), null);
        return blockMapper == null ? r : r.withBlockMap(blockMapper.map(before, after, match));
    }

    /** Pairs initializers of {@code before} (keys) with those of {@code after}. */
    private static Map<Value, Value> pairInitializers(Graph ga, Graph gb, NodeMatch match) {
        Map<Value, Value> a2b = new IdentityHashMap<>();
        Map<Value, Value> b2a = new IdentityHashMap<>();
        Map<String, Value> byName = new LinkedHashMap<>();
        for (Value b : gb.initializers()) byName.put(b.name(), b);
        for (Value a : ga.initializers()) {
            Value b = byName.get(a.name());
            if (b != null) {
                a2b.put(a, b);
                b2a.put(b, a);
            }
        }
        for (Node[] p : match.pairs()) {
            int n = Math.min(p[0].inputs().size(), p[1].inputs().size());
            for (int i = 0; i < n; i++) {
                Value a = p[0].input(i), b = p[1].input(i);
                if (a == null || b == null || a.initializer() == null || b.initializer() == null) continue;
                if (a2b.containsKey(a) || b2a.containsKey(b) || !ga.initializers().contains(a)
                        || !gb.initializers().contains(b)) continue;
                a2b.put(a, b);
                b2a.put(b, a);
            }
        }
        for (Value b : gb.initializers()) {
            if (b2a.containsKey(b) || b.initializer() == null) continue;
            Value best = null;
            for (Value a : ga.initializers()) {
                if (a2b.containsKey(a) || a.initializer() == null || a.name().isEmpty()
                        || !b.name().startsWith(a.name())
                        || a.initializer().elementCount() != b.initializer().elementCount()) continue;
                if (best == null || a.name().length() > best.name().length()) best = a;
            }
            if (best != null) {
                a2b.put(best, b);
                b2a.put(b, best);
            }
        }
        return a2b;
    }

    private static List<InitializerChange> initializerChanges(Graph ga, Graph gb, Map<Value, Value> a2b) {
        List<InitializerChange> out = new ArrayList<>();
        java.util.Set<Value> pairedB = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        pairedB.addAll(a2b.values());
        for (Value a : ga.initializers()) {
            Tensor ta = a.initializer();
            Value b = a2b.get(a);
            if (b == null) {
                out.add(new InitializerChange(Kind.REMOVED, a.name(), null, type(ta), null, shape(ta), null,
                        bytes(ta), 0));
                continue;
            }
            Tensor tb = b.initializer();
            if (ta == null || tb == null) continue;
            if (ta.dataType() == tb.dataType() && Arrays.equals(ta.dims(), tb.dims()) && bytes(ta) == bytes(tb))
                continue;
            out.add(new InitializerChange(Kind.CHANGED, a.name(), b.name(), type(ta), type(tb), shape(ta), shape(tb),
                    bytes(ta), bytes(tb)));
        }
        for (Value b : gb.initializers()) {
            if (pairedB.contains(b)) continue;
            Tensor tb = b.initializer();
            out.add(new InitializerChange(Kind.ADDED, null, b.name(), null, type(tb), null, shape(tb), 0, bytes(tb)));
        }
        return List.copyOf(out);
    }

    private static List<String> differences(Node a, Node b, NodeMatch match, Map<Value, Value> inits) {
        List<String> r = new ArrayList<>();
        if (!a.opType().equals(b.opType()) || !a.domainName().equals(b.domainName()))
            r.add("op " + opName(a) + " -> " + opName(b));
        Map<String, String> aa = attributes(a), ab = attributes(b);
        for (String k : aa.keySet())
            if (!ab.containsKey(k)) r.add("attribute " + k + " removed");
            else if (!aa.get(k).equals(ab.get(k))) r.add("attribute " + k + " " + aa.get(k) + " -> " + ab.get(k));
        for (String k : ab.keySet()) if (!aa.containsKey(k)) r.add("attribute " + k + " added");
        if (a.inputs().size() != b.inputs().size())
            r.add("inputs " + a.inputs().size() + " -> " + b.inputs().size());
        if (a.outputs().size() != b.outputs().size())
            r.add("outputs " + a.outputs().size() + " -> " + b.outputs().size());
        int n = Math.min(a.inputs().size(), b.inputs().size());
        for (int i = 0; i < n; i++) {
            Value va = a.input(i), vb = b.input(i);
            if (!match.sameSource(va, vb)) {
                r.add("input " + i + " " + source(va) + " -> " + source(vb));
            } else if (va != null && va.initializer() != null && vb.initializer() != null) {
                Tensor ta = va.initializer(), tb = vb.initializer();
                if (inits.get(va) != null && inits.get(va) != vb)
                    r.add("input " + i + " constant '" + va.name() + "' -> '" + vb.name() + "'");
                else if (ta.dataType() != tb.dataType() || !Arrays.equals(ta.dims(), tb.dims()))
                    r.add("input " + i + " constant " + type(ta) + shape(ta) + " -> " + type(tb) + shape(tb));
            }
        }
        return r;
    }

    private static String opName(Node n) {
        return n.domainName().isEmpty() ? n.opType() : n.domainName() + "." + n.opType();
    }

    /** Where a value comes from, in words for the report. */
    private static String source(Value v) {
        if (v == null || v.name().isEmpty()) return "(none)";
        if (v.producer() != null) return v.producer().opType() + " '" + v.name() + "'";
        if (v.isGraphInput()) return "input '" + v.name() + "'";
        if (v.initializer() != null) return "constant '" + v.name() + "'";
        return "'" + v.name() + "'";
    }

    private static Map<String, String> attributes(Node n) {
        Map<String, String> m = new TreeMap<>();
        for (Attribute a : n.attributes()) m.put(a.name(), attributeValue(a));
        return m;
    }

    private static String attributeValue(Attribute a) {
        if (a.isReference()) return "@" + a.refAttrName();
        Object v = a.value();
        if (v instanceof long[] l) return Arrays.toString(l);
        if (v instanceof float[] f) return Arrays.toString(f);
        if (v instanceof Tensor t) return "tensor " + type(t) + shape(t);
        if (v instanceof Graph g) return "graph '" + g.name() + "' (" + g.nodeCount() + " nodes)";
        if (v instanceof byte[] bs) return '"' + new String(bs, java.nio.charset.StandardCharsets.UTF_8) + '"';
        if (v instanceof List<?> l) {
            List<String> items = new ArrayList<>();
            for (Object o : l)
                items.add(o instanceof byte[] bs ? new String(bs, java.nio.charset.StandardCharsets.UTF_8)
                        : o instanceof Tensor t ? type(t) + shape(t)
                        : o instanceof Graph g ? "graph '" + g.name() + "'" : Objects.toString(o));
            return items.toString();
        }
        return Objects.toString(v);
    }

    static String type(Tensor t) {
        return t == null || t.dataType() == null ? "?" : t.dataType().name().toLowerCase(java.util.Locale.ROOT);
    }

    static String shape(Tensor t) {
        return t == null ? "?" : Arrays.toString(t.dims());
    }

    static long bytes(Tensor t) {
        return t == null ? 0 : t.byteSize();
    }
}
