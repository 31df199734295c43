package dev.tailor.report;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The block map from the anatomy of both models. A sublayer of the first model is followed into the second
 * through the node match of its residual connection, so block numbers that shift after a removal do not
 * mislead: no match means REMOVED; a match whose sublayer has another kind means CONVERTED; a sublayer whose
 * weight-reading operators changed type (MatMul to MatMulInteger or MatMulNBits, say) is QUANTIZED; sublayers of
 * the second model that no first-model sublayer reached are ADDED.
 */
public final class AnatomyBlockMapper implements BlockMap.BlockMapper {

    @Override
    public BlockMap map(Model before, Model after, NodeMatch match) {
        Anatomy a;
        Anatomy b;
        try {
            a = Anatomy.of(before);
            b = Anatomy.of(after);
        } catch (RuntimeException e) {
            return null; // no anatomy, no block map; the rest of the report stands
        }
        if (!a.isTransformer()) return null;
        List<BlockMap.Block> blocks = new ArrayList<>();
        Set<Sublayer> reached = new HashSet<>();
        for (Block block : a.blocks()) {
            List<BlockMap.Sublayer> subs = new ArrayList<>();
            for (Sublayer s : block.sublayers()) {
                Node residual = match.inAfter(s.residual());
                Sublayer t = residual == null ? null : b.sublayerOf(residual);
                if (t == null) {
                    subs.add(new BlockMap.Sublayer(s.kind().id(), BlockMap.Status.REMOVED, s.id() + " removed"));
                    continue;
                }
                reached.add(t);
                if (t.kind() != s.kind()) {
                    subs.add(new BlockMap.Sublayer(s.kind().id(), BlockMap.Status.CONVERTED,
                            s.id() + " is now " + t.kind().id() + " (" + t.id() + ")"));
                    continue;
                }
                String changed = changedOps(s, t);
                subs.add(changed == null ? new BlockMap.Sublayer(s.kind().id(), BlockMap.Status.KEPT, s.id())
                        : new BlockMap.Sublayer(s.kind().id(), BlockMap.Status.QUANTIZED, s.id() + ": " + changed));
            }
            blocks.add(new BlockMap.Block(block.index(), subs));
        }
        for (Sublayer t : b.sublayers()) {
            if (reached.contains(t)) continue;
            int index = t.block().index();
            BlockMap.Block existing = blocks.stream().filter(x -> x.index() == index).findFirst().orElse(null);
            BlockMap.Sublayer added = new BlockMap.Sublayer(t.kind().id(), BlockMap.Status.ADDED, t.id() + " added");
            // a Macaron front FFN comes before its block's attention, and the map keeps the model's order
            if (existing != null) existing.sublayers().add(t == t.block().front() ? 0 : existing.sublayers().size(),
                    added);
            else blocks.add(new BlockMap.Block(index, new ArrayList<>(List.of(added))));
        }
        return new BlockMap(blocks);
    }

    /**
     * "MatMul ×6 → DynamicQuantizeMatMul ×4, MatMul ×2": the operator types whose counts differ, before and after,
     * when the sublayer gained an operator type; else null.
     */
    private static String changedOps(Sublayer s, Sublayer t) {
        TreeMap<String, Integer> before = histogram(s);
        TreeMap<String, Integer> after = histogram(t);
        if (after.keySet().stream().allMatch(before::containsKey)) return null;
        List<String> was = new ArrayList<>();
        List<String> is = new ArrayList<>();
        for (var e : before.entrySet())
            if (!e.getValue().equals(after.get(e.getKey()))) was.add(e.getKey() + " ×" + e.getValue());
        for (var e : after.entrySet())
            if (!e.getValue().equals(before.get(e.getKey()))) is.add(e.getKey() + " ×" + e.getValue());
        return String.join(", ", was) + " → " + String.join(", ", is);
    }

    /** Operators that say how weights are multiplied and stored; cleanup's Constant or Shape changes don't count. */
    private static final Set<String> ARITHMETIC = Set.of("MatMul", "Gemm", "MatMulInteger", "MatMulNBits",
            "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QLinearMatMul", "DynamicQuantizeLinear",
            "QuantizeLinear", "DequantizeLinear", "Cast");

    private static TreeMap<String, Integer> histogram(Sublayer s) {
        TreeMap<String, Integer> h = new TreeMap<>();
        for (Node n : s.nodes()) if (ARITHMETIC.contains(n.opType())) h.merge(n.opType(), 1, Integer::sum);
        return h;
    }
}
