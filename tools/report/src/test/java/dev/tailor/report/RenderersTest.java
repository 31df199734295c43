package dev.tailor.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.report.BlockMap.Status;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RenderersTest {
    /** The small edit of {@link GraphDiffTest}, with a hand-made block map and output metrics. */
    private static DiffReport report() {
        BlockMap map = new BlockMap(List.of(
                new BlockMap.Block(0, List.of(new BlockMap.Sublayer("attention", Status.KEPT, null),
                        new BlockMap.Sublayer("ffn", Status.QUANTIZED, "int8 dynamic"))),
                new BlockMap.Block(1, List.of(new BlockMap.Sublayer("attention", Status.REMOVED, "pruned"),
                        new BlockMap.Sublayer("ffn", Status.CONVERTED, "moe"), 
                        new BlockMap.Sublayer("adapter", Status.ADDED, null)))));
        return GraphDiff.standard().withBlockMapper((a, b, m) -> map)
                .diff("a.onnx", GraphDiffTest.original("a_"), "b.onnx", GraphDiffTest.edited())
                .withOutputs(List.of(new DiffReport.OutputComparison("y", 8, 0.5, 0.25, 0.1, 0.995)));
    }

    @Test
    void everyFormatShowsTheBlockMapAndOutputs() {
        DiffReport r = report();
        String t = ReportFormat.TEXT.render(r);
        assertTrue(t.contains("    1  attention=removed ffn=converted adapter=added"), t);
        assertTrue(t.contains("y                        0.5000      0.2500      0.1000      0.995000"), t);
        assertTrue(t.contains("  - Relu 'a_1'\n"), t);
        assertTrue(t.contains("  + Sigmoid 'other_1'\n"), t);
        String m = ReportFormat.MARKDOWN.render(r);
        assertTrue(m.contains("| 0 | attention: kept, ffn: quantized |"), m);
        assertTrue(m.contains("| Relu | 1 | 0 | 0 | 1 | 0 |"), m);
        assertTrue(m.contains("| y | 0.5000 | 0.2500 | 0.1000 | 0.995000 |"), m);
        String j = ReportFormat.JSON.render(r);
        assertTrue(j.contains("\"status\": \"converted\",") && j.contains("\"detail\": \"moe\""), j);
        assertTrue(j.contains("\"cosine\": 0.995"), j);
        String h = ReportFormat.HTML.render(r);
        assertEquals(1, MiniLmDiffTest.occurrences(h, "<svg class=\"blockmap\""));
        assertEquals(5, MiniLmDiffTest.occurrences(h, "<rect class=\""));
        assertTrue(h.contains("<title>ffn: quantized (int8 dynamic)</title>"), h);
        assertTrue(h.contains("fill=\"#ff8182\"><title>attention: removed (pruned)</title>"), h);
    }

    @Test
    void htmlEscapesNames() {
        String h = HtmlRenderer.esc("<b>&\"");
        assertEquals("&lt;b&gt;&amp;&quot;", h);
    }

    @Test
    void formatsByNameAndExtension() {
        assertEquals(ReportFormat.MARKDOWN, ReportFormat.forFile(Path.of("out/report.md")));
        assertEquals(ReportFormat.HTML, ReportFormat.forFile(Path.of("r.HTML")));
        assertEquals(ReportFormat.JSON, ReportFormat.forFile(Path.of("r.json")));
        assertEquals(ReportFormat.TEXT, ReportFormat.forFile(Path.of("r.txt")));
        assertNull(ReportFormat.forFile(Path.of("r.pdf")));
        assertNull(ReportFormat.forFile(Path.of("report")));
        assertEquals(ReportFormat.TEXT, ReportFormat.parse("text"));
        assertThrows(IllegalArgumentException.class, () -> ReportFormat.parse("yaml"));
    }
}
