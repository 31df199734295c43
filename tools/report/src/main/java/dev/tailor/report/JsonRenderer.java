package dev.tailor.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report as plain maps and lists for JSON: every node and initializer change, nothing left out. */
final class JsonRenderer {
    private JsonRenderer() {}

    static Map<String, Object> toMap(DiffReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("before", side(r.before()));
        m.put("after", side(r.after()));
        Map<String, Object> match = new LinkedHashMap<>();
        match.put("by_name", r.matching().byName());
        match.put("by_structure", r.matching().byStructure());
        match.put("unmatched_before", r.matching().unmatchedBefore());
        match.put("unmatched_after", r.matching().unmatchedAfter());
        m.put("matching", match);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("nodes_added", r.count(DiffReport.Kind.ADDED));
        summary.put("nodes_removed", r.count(DiffReport.Kind.REMOVED));
        summary.put("nodes_changed", r.count(DiffReport.Kind.CHANGED));
        summary.put("initializers_added", r.initializerCount(DiffReport.Kind.ADDED));
        summary.put("initializers_removed", r.initializerCount(DiffReport.Kind.REMOVED));
        summary.put("initializers_changed", r.initializerCount(DiffReport.Kind.CHANGED));
        m.put("summary", summary);
        List<Object> ops = new ArrayList<>();
        for (DiffReport.OpTypeChange o : r.opTypes()) {
            Map<String, Object> om = new LinkedHashMap<>();
            om.put("op_type", o.opType());
            om.put("before", o.before());
            om.put("after", o.after());
            om.put("added", o.added());
            om.put("removed", o.removed());
            om.put("changed", o.changed());
            ops.add(om);
        }
        m.put("op_types", ops);
        List<Object> nodes = new ArrayList<>();
        for (DiffReport.NodeChange n : r.nodes()) {
            Map<String, Object> nm = new LinkedHashMap<>();
            nm.put("kind", n.kind().name().toLowerCase(Locale.ROOT));
            nm.put("op_type", n.opType());
            nm.put("before", n.before());
            nm.put("after", n.after());
            nm.put("reasons", n.reasons());
            nodes.add(nm);
        }
        m.put("nodes", nodes);
        List<Object> inits = new ArrayList<>();
        for (DiffReport.InitializerChange i : r.initializers()) {
            Map<String, Object> im = new LinkedHashMap<>();
            im.put("kind", i.kind().name().toLowerCase(Locale.ROOT));
            im.put("before", i.before());
            im.put("after", i.after());
            im.put("type_before", i.typeBefore());
            im.put("type_after", i.typeAfter());
            im.put("shape_before", i.shapeBefore());
            im.put("shape_after", i.shapeAfter());
            im.put("bytes_before", i.bytesBefore());
            im.put("bytes_after", i.bytesAfter());
            inits.add(im);
        }
        m.put("initializers", inits);
        m.put("pipeline", r.pipeline());
        List<Object> passes = new ArrayList<>();
        for (DiffReport.PassRun p : r.passes()) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("pass", p.pass());
            pm.put("step", p.step());
            pm.put("millis", p.millis());
            pm.put("modified", p.modified());
            pm.put("metrics", p.metrics());
            pm.put("notes", p.notes());
            passes.add(pm);
        }
        m.put("passes", passes);
        List<Object> outs = new ArrayList<>();
        for (DiffReport.OutputComparison o : r.outputs()) {
            Map<String, Object> om = new LinkedHashMap<>();
            om.put("name", o.name());
            om.put("elements", o.elements());
            om.put("max_abs_error", o.maxAbsError());
            om.put("mean_abs_error", o.meanAbsError());
            om.put("relative_l2", o.relativeL2());
            om.put("cosine", o.cosine());
            outs.add(om);
        }
        m.put("outputs", outs);
        if (r.blockMap() == null) {
            m.put("block_map", null);
        } else {
            List<Object> blocks = new ArrayList<>();
            for (BlockMap.Block b : r.blockMap().blocks()) {
                List<Object> subs = new ArrayList<>();
                for (BlockMap.Sublayer s : b.sublayers()) {
                    Map<String, Object> sm = new LinkedHashMap<>();
                    sm.put("kind", s.kind());
                    sm.put("status", s.status().name().toLowerCase(Locale.ROOT));
                    sm.put("detail", s.detail());
                    subs.add(sm);
                }
                Map<String, Object> bm = new LinkedHashMap<>();
                bm.put("block", b.index());
                bm.put("sublayers", subs);
                blocks.add(bm);
            }
            m.put("block_map", blocks);
        }
        m.put("flops_rule", Numbers.flopRule(r));
        return m;
    }

    private static Map<String, Object> side(DiffReport.Side s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", s.label());
        m.put("nodes", s.nodes());
        m.put("initializers", s.initializers());
        m.put("parameters", s.parameters());
        m.put("weight_bytes", s.weightBytes());
        if (s.flops() == null) {
            m.put("flops_per_token", null);
        } else {
            m.put("flops_per_token", s.flops().perToken());
            m.put("flops_nodes_counted", s.flops().counted());
            m.put("flops_nodes_unestimated", s.flops().unestimated());
            m.put("flops_sequence_length", s.flops().sequenceLength());
        }
        return m;
    }
}
