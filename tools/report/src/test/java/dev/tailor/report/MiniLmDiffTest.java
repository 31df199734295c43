package dev.tailor.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.Pipeline;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.report.DiffReport.Kind;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.testdata.ModelZoo;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** all-MiniLM-L6-v2 before and after the cleanup pipeline, in every format. */
class MiniLmDiffTest {
    static final String PIPELINE = "fixpoint { identity | shapes | fold | cse | dce }";
    static DiffReport report;

    @BeforeAll
    static void diff() {
        Model before = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Model after = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Pipeline p = new PipelineParser(PassRegistry.load()).parse(PIPELINE, "pipeline");
        List<PassReport> runs = new PassManager(false).run(after, p,
                PassContext.builder().evaluator(new OrtEvaluator()).build());
        report = GraphDiff.compare("all-minilm-l6-v2.onnx", before, "minilm-clean.onnx", after)
                .withPasses(p.toString(), DiffReport.PassRun.of(runs));
    }

    @Test
    void countsWhatTheCleanupDid() {
        assertEquals(637, report.before().nodes());
        assertEquals(467, report.after().nodes());
        assertEquals(467, report.matching().byName());
        assertEquals(170, report.count(Kind.REMOVED));
        assertEquals(0, report.count(Kind.ADDED));
        assertEquals(126, report.count(Kind.CHANGED));
        DiffReport.OpTypeChange constant = report.opTypes().get(0);
        assertEquals(new DiffReport.OpTypeChange("Constant", 146, 0, 0, 146, 0), constant);
        assertTrue(report.opTypes().contains(new DiffReport.OpTypeChange("Shape", 49, 25, 0, 24, 0)));
        // Folded constants become initializers; no weight changes.
        assertEquals(14, report.initializerCount(Kind.ADDED));
        assertEquals(0, report.initializerCount(Kind.CHANGED) + report.initializerCount(Kind.REMOVED));
        // Weights are untouched; cse merges 52 float scalar Constants into 7 initializers: 45 fewer parameters.
        assertEquals(22_565_428, report.before().parameters());
        assertEquals(22_565_383, report.after().parameters());
        // 6 layers x (2 x (4 x 384 x 384 + 2 x 384 x 1536) projections + 2 x 2 x 128 x 384 attention products).
        long expected = 6L * (2 * (4 * 384 * 384 + 2 * 384 * 1536) + 2 * 2 * 128 * 384);
        assertEquals(expected, report.before().flops().perToken());
        assertEquals(expected, report.after().flops().perToken());
        assertEquals(List.of(), report.after().flops().unestimated());
        assertEquals(10, report.passes().size());
        assertTrue(report.passes().get(1).modified());
    }

    @Test
    void text() {
        String t = ReportFormat.TEXT.render(report);
        assertTrue(t.contains("nodes: 0 added, 170 removed, 126 changed; 467 matched (467 by name, 0 by structure)"), t);
        assertTrue(t.contains("initializers: 14 added, 0 removed, 0 changed"), t);
        assertTrue(t.contains("node changes (first 40 of 296):"), t);
        assertTrue(t.contains("FLOPs/token    22.41 M                        22.41 M +0.0%"), t);
        assertTrue(t.contains("pipeline: " + PIPELINE), t);
    }

    @Test
    void json() {
        String j = ReportFormat.JSON.render(report);
        assertTrue(j.startsWith("{\n  \"before\": {\n    \"model\": \"all-minilm-l6-v2.onnx\",\n    \"nodes\": 637,"), j);
        assertTrue(j.contains("\"nodes_removed\": 170,"), j);
        assertTrue(j.contains("\"flops_per_token\": 22413312,"), j);
        // Every change is listed in JSON: 170 removed nodes, 126 changed, 14 added initializers.
        assertEquals(170, occurrences(j, "\"kind\": \"removed\""));
        assertEquals(126, occurrences(j, "\"kind\": \"changed\""));
        assertEquals(14, occurrences(j, "\"kind\": \"added\""));
        assertEquals(10, occurrences(j, "\"pass\": "));
    }

    @Test
    void markdown() {
        String m = ReportFormat.MARKDOWN.render(report);
        assertTrue(m.startsWith("### Tailor diff: `all-minilm-l6-v2.onnx` → `minilm-clean.onnx`\n"), m);
        assertTrue(m.contains("| nodes | 637 | 467 | -26.7% |"), m);
        assertTrue(m.contains("| Constant | 146 | 0 | 0 | 146 | 0 |"), m);
        assertTrue(m.contains("| Shape | 49 | 25 | 0 | 24 | 0 |"), m);
        assertTrue(m.contains("<details><summary>296 node changes (first 40)</summary>"), m);
        assertTrue(m.contains("| fold | "), m);
        assertFalse(m.contains("| Concat | 24 | 24 | 0 | 0 | 0 |"), "unchanged op types are left out: " + m);
    }

    @Test
    void cleanupKeepsEverySublayerInTheBlockMap() {
        assertEquals(6, report.blockMap().blocks().size());
        for (BlockMap.Block b : report.blockMap().blocks()) {
            assertEquals(2, b.sublayers().size());
            for (BlockMap.Sublayer s : b.sublayers()) assertEquals(BlockMap.Status.KEPT, s.status(), s.detail());
        }
    }

    @Test
    void html() {
        String h = ReportFormat.HTML.render(report);
        assertTrue(h.startsWith("<!DOCTYPE html>"), h);
        assertTrue(h.endsWith("</body></html>\n"), h);
        assertEquals(1, occurrences(h, "<svg class=\"summary\""));
        assertEquals(1, occurrences(h, "<svg class=\"blockmap\""), "the anatomy gives a block map");
        assertTrue(h.contains("<title>before: 637</title>"), h);
        assertTrue(h.contains("<title>after: 467</title>"), h);
        assertTrue(h.contains("<tr><td>Constant</td><td class=\"n\">146</td><td class=\"n\">0</td>"), h);
        assertTrue(h.contains("<summary>Node changes (296)</summary>"), h);
        // Self-contained: nothing loaded from elsewhere.
        assertFalse(h.contains("<script") || h.contains("src=") || h.contains("<link"), h);
    }

    static int occurrences(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
