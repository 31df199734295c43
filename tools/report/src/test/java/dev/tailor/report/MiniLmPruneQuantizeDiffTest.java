package dev.tailor.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.report.DiffReport.Kind;
import dev.tailor.runtime.Compilation;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.runtime.data.SharedCorpus;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 before and after {@code prune(count=2) | quantize(mode=int8_dynamic)} (the pipeline of
 * {@code tailor demo}, calibrated the same way), in every format: the block map follows each sublayer into the
 * pruned, quantized model.
 */
class MiniLmPruneQuantizeDiffTest {
    static final String PIPELINE = "prune(count=2) | quantize(mode=int8_dynamic)";
    /** One MiniLM block per token: 4 384x384 and 2 384x1536 projections, 2 attention products over 128 positions. */
    static final long BLOCK_FLOPS = 2 * (4 * 384 * 384 + 2 * 384 * 1536) + 2 * 2 * 128 * 384;

    @TempDir
    static Path dir;
    static DiffReport report;

    @BeforeAll
    static void compile() {
        Compilation.Result r = new Compilation(ModelZoo.ALL_MINILM_L6_V2.model())
                .pipeline(PIPELINE)
                .output(dir.resolve("minilm-small.onnx"))
                .calibration(SharedCorpus.find(), DataOptions.DEFAULTS.withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer())
                        .withMaxLength(64).withLines(new LineRange(1, 16)))
                .run();
        report = GraphDiff.compare("@minilm", r.original(), "minilm-small.onnx", r.compiled())
                .withPasses(r.pipeline().toString(), DiffReport.PassRun.of(r.passes()));
    }

    @Test
    void blockMapShowsTheRemovedAndTheQuantizedSublayers() {
        List<String> rows = report.blockMap().blocks().stream().map(b -> b.index() + ": " + String.join(" ",
                b.sublayers().stream().map(s -> s.kind() + "=" + s.status().name().toLowerCase()).toList())).toList();
        assertEquals(List.of("0: attn=quantized ffn=quantized", "1: attn=quantized ffn=removed",
                "2: attn=removed ffn=quantized", "3: attn=quantized ffn=quantized", "4: attn=quantized ffn=quantized",
                "5: attn=quantized ffn=quantized"), rows);
        BlockMap.Block b0 = report.blockMap().blocks().get(0);
        assertEquals("b0.attn: MatMul ×6 → DynamicQuantizeMatMul ×4, MatMul ×2", b0.sublayers().get(0).detail());
        assertEquals("b0.ffn: MatMul ×2 → DynamicQuantizeMatMul ×2", b0.sublayers().get(1).detail());
        assertEquals("b1.ffn removed", report.blockMap().blocks().get(1).sublayers().get(1).detail());
    }

    @Test
    void counts() {
        assertEquals(637, report.before().nodes());
        assertEquals(399, report.after().nodes()); // 13 norms fused: 11 with their residual adds, 2 alone
        assertEquals(42, report.count(Kind.ADDED)); // 30 products, 3 x 4 for the int8 table lookups
        assertEquals(280, report.count(Kind.REMOVED));
        assertTrue(report.opTypes().contains(new DiffReport.OpTypeChange("DynamicQuantizeMatMul", 0, 30, 30, 0, 0)));
        assertTrue(report.opTypes().contains(new DiffReport.OpTypeChange("MatMul", 48, 10, 0, 38, 0)));
        // each fused norm takes its residual Add's name, and the two whose sublayer was pruned (no residual Add to
        // fuse) their last node's: all matched by name, converted
        assertTrue(report.opTypes().contains(new DiffReport.OpTypeChange("SkipLayerNormalization", 0, 13, 0, 0, 13)),
                report.opTypes().toString());
        // Pruning an attention and an FFN sublayer removes one block's worth of work; int8 products still count.
        assertEquals(6 * BLOCK_FLOPS, report.before().flops().perToken());
        assertEquals(5 * BLOCK_FLOPS, report.after().flops().perToken());
        assertEquals(List.of(), report.after().flops().unestimated());
        assertEquals(List.of("prune", "quantize"), report.passes().stream().map(DiffReport.PassRun::pass).toList());
        assertEquals(List.of("b2.attn", "b1.ffn"), report.passes().get(0).metrics().get("removed"));
        assertEquals(30, report.passes().get(1).metrics().get("quantized"));
    }

    @Test
    void everyFormat() {
        String text = ReportFormat.TEXT.render(report);
        assertTrue(text.contains("nodes: 42 added, 280 removed, 72 changed; 357 matched (354 by name, 3 by structure)"),
                text);
        assertTrue(text.contains("\n    1  attn=quantized ffn=removed\n    2  attn=removed ffn=quantized\n"), text);

        String json = ReportFormat.JSON.render(report);
        assertTrue(json.contains("\"nodes_added\": 42,") && json.contains("\"nodes_removed\": 280,"), json);
        assertEquals(31, MiniLmDiffTest.occurrences(json, "\"op_type\": \"DynamicQuantizeMatMul\""),
                "the op-type row and one per added node");
        assertEquals(2, MiniLmDiffTest.occurrences(json, "\"status\": \"removed\""));
        assertEquals(10, MiniLmDiffTest.occurrences(json, "\"status\": \"quantized\""));

        String md = ReportFormat.MARKDOWN.render(report);
        assertTrue(md.contains("| nodes | 637 | 399 | -37.4% |"), md);
        assertTrue(md.contains("| DynamicQuantizeMatMul | 0 | 30 | 30 | 0 | 0 |"), md);
        assertTrue(md.contains("| 1 | attn: quantized, ffn: removed |\n| 2 | attn: removed, ffn: quantized |"), md);
        assertTrue(md.contains("Pipeline: `" + PIPELINE + "`"), md);

        String html = ReportFormat.HTML.render(report);
        assertEquals(2, MiniLmDiffTest.occurrences(html, "<rect class=\"removed\""));
        assertEquals(10, MiniLmDiffTest.occurrences(html, "<rect class=\"quantized\""));
        assertTrue(html.contains("<title>ffn: removed (b1.ffn removed)</title>"), html);
    }
}
