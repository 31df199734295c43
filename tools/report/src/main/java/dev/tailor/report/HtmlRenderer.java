package dev.tailor.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One self-contained HTML file (inline CSS and SVG, no scripts or external resources): the totals drawn as a
 * before/after bar chart, the block map as an SVG grid when the report has one, then the tables and every change.
 */
final class HtmlRenderer {
    private HtmlRenderer() {}

    static String render(DiffReport r) {
        DiffReport.Side x = r.before(), y = r.after();
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tailor diff: ")
                .append(esc(x.label())).append(" → ").append(esc(y.label())).append("</title>\n<style>")
                .append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
                        + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px}"
                        + "td.n{text-align:right}.added{color:#1a7f37}.removed{color:#cf222e}.changed{color:#9a6700}"
                        + "pre{background:#f6f8fa;padding:8px;overflow:auto}")
                .append("</style></head><body>\n");
        b.append("<h1>Tailor diff</h1>\n<p><code>").append(esc(x.label())).append("</code> → <code>")
                .append(esc(y.label())).append("</code></p>\n");
        b.append(summaryChart(r));
        if (r.blockMap() != null) b.append(blockMapSvg(r.blockMap()));
        b.append("<table><tr><th></th><th>before</th><th>after</th><th>change</th></tr>\n");
        for (SummaryRow s : SummaryRow.of(r)) row(b, s.name(), s.before(), s.after(), s.change());
        b.append("</table>\n");
        DiffReport.Matching m = r.matching();
        b.append(String.format(Locale.ROOT, "<p>Nodes: <span class=\"added\">%d added</span>, <span class=\"removed\">"
                        + "%d removed</span>, <span class=\"changed\">%d changed</span>; %d matched (%d by name, %d by "
                        + "structure). Initializers: %d added, %d removed, %d changed.</p>%n",
                r.count(DiffReport.Kind.ADDED), r.count(DiffReport.Kind.REMOVED), r.count(DiffReport.Kind.CHANGED),
                m.matched(), m.byName(), m.byStructure(), r.initializerCount(DiffReport.Kind.ADDED),
                r.initializerCount(DiffReport.Kind.REMOVED), r.initializerCount(DiffReport.Kind.CHANGED)));
        b.append("<table><tr><th>op type</th><th>before</th><th>after</th><th>added</th><th>removed</th>"
                + "<th>changed</th></tr>\n");
        for (DiffReport.OpTypeChange o : r.opTypes())
            b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                            + "<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d</td></tr>%n",
                    esc(o.opType()), o.before(), o.after(), o.added(), o.removed(), o.changed()));
        b.append("</table>\n");
        if (!r.outputs().isEmpty()) {
            b.append("<h2>Outputs</h2><table><tr><th>output</th><th>max abs</th><th>mean abs</th><th>rel L2</th>"
                    + "<th>cosine</th></tr>\n");
            for (DiffReport.OutputComparison o : r.outputs())
                b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                                + "<td class=\"n\">%s</td><td class=\"n\">%.6f</td></tr>%n", esc(o.name()),
                        Numbers.metric(o.maxAbsError()), Numbers.metric(o.meanAbsError()),
                        Numbers.metric(o.relativeL2()), o.cosine()));
            b.append("</table>\n");
        }
        if (r.pipeline() != null) {
            b.append("<h2>Pipeline</h2><p><code>").append(esc(r.pipeline())).append("</code></p><table><tr><th>pass"
                    + "</th><th>ms</th><th>changed</th><th>measured</th><th>notes</th></tr>\n");
            for (DiffReport.PassRun p : r.passes())
                b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%.1f</td><td>%s</td><td>%s</td>"
                                + "<td>%s</td></tr>%n", esc(p.pass()), p.millis(), p.modified() ? "yes" : "no",
                        esc(TextRenderer.metrics(p.metrics())), esc(String.join("; ", p.notes()))));
            b.append("</table>\n");
        }
        list(b, "Node changes", r.nodes().stream().map(TextRenderer::nodeLine).toList());
        list(b, "Initializer changes", r.initializers().stream().map(TextRenderer::initLine).toList());
        b.append("<p><small>").append(esc(Numbers.flopRule(r))).append("</small></p>\n</body></html>\n");
        return b.toString();
    }

    /** Before/after bars for each total, each pair scaled to its larger value. */
    static String summaryChart(DiffReport r) {
        DiffReport.Side x = r.before(), y = r.after();
        List<Object[]> rows = new ArrayList<>();
        rows.add(new Object[] {"nodes", (long) x.nodes(), (long) y.nodes()});
        rows.add(new Object[] {"parameters", x.parameters(), y.parameters()});
        rows.add(new Object[] {"weight bytes", x.weightBytes(), y.weightBytes()});
        rows.add(new Object[] {"FLOPs/token", Numbers.flops(x), Numbers.flops(y)});
        int rowHeight = 44, width = 560, labelWidth = 110, barMax = 330;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg class=\"summary\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                + "height=\"%d\" role=\"img\" aria-label=\"before and after totals\">%n", width, rows.size() * rowHeight + 24));
        s.append("<rect x=\"110\" y=\"4\" width=\"10\" height=\"10\" fill=\"#8c959f\"/><text x=\"124\" y=\"13\" "
                + "font-size=\"11\">before</text><rect x=\"180\" y=\"4\" width=\"10\" height=\"10\" fill=\"#0969da\"/>"
                + "<text x=\"194\" y=\"13\" font-size=\"11\">after</text>\n");
        for (int i = 0; i < rows.size(); i++) {
            String label = (String) rows.get(i)[0];
            long a = (Long) rows.get(i)[1], c = (Long) rows.get(i)[2];
            long max = Math.max(1, Math.max(a, c));
            int top = 24 + i * rowHeight;
            s.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"12\">%s</text>%n", top + 18,
                    esc(label)));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"#8c959f\">"
                            + "<title>before: %d</title></rect><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n",
                    labelWidth, top, Math.max(1, (int) (barMax * a / max)), a,
                    labelWidth + (int) (barMax * a / max) + 4, top + 12, Numbers.count(a)));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"#0969da\">"
                            + "<title>after: %d</title></rect><text x=\"%d\" y=\"%d\" font-size=\"11\">%s %s</text>%n",
                    labelWidth, top + 18, Math.max(1, (int) (barMax * c / max)), c,
                    labelWidth + (int) (barMax * c / max) + 4, top + 30, Numbers.count(c), Numbers.percent(a, c)));
        }
        return s.append("</svg>\n").toString();
    }

    /** One row per block, one coloured cell per sublayer, coloured by what happened to it. */
    static String blockMapSvg(BlockMap map) {
        int cell = 90, h = 24;
        int columns = map.blocks().stream().mapToInt(bl -> bl.sublayers().size()).max().orElse(0);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg class=\"blockmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                + " height=\"%d\" role=\"img\" aria-label=\"block map\">%n", 60 + columns * (cell + 4),
                map.blocks().size() * (h + 4) + 4));
        int row = 0;
        for (BlockMap.Block bl : map.blocks()) {
            int top = 4 + row++ * (h + 4);
            s.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"12\">block %d</text>%n",
                    top + 16, bl.index()));
            int col = 0;
            for (BlockMap.Sublayer sl : bl.sublayers()) {
                int left = 60 + col++ * (cell + 4);
                s.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                                + "fill=\"%s\"><title>%s: %s%s</title></rect><text x=\"%d\" y=\"%d\" font-size=\"11\">"
                                + "%s</text>%n", sl.status().name().toLowerCase(Locale.ROOT), left, top, cell, h,
                        color(sl.status()), esc(sl.kind()), sl.status().name().toLowerCase(Locale.ROOT),
                        sl.detail() == null ? "" : " (" + esc(sl.detail()) + ")", left + 4, top + 16, esc(sl.kind())));
            }
        }
        return s.append("</svg>\n").toString();
    }

    private static String color(BlockMap.Status s) {
        return switch (s) {
            case KEPT -> "#d0d7de";
            case REMOVED -> "#ff8182";
            case QUANTIZED -> "#54aeff";
            case CONVERTED -> "#d4a72c";
            case ADDED -> "#4ac26b";
        };
    }

    private static void list(StringBuilder b, String title, List<String> lines) {
        if (lines.isEmpty()) return;
        b.append("<details><summary>").append(title).append(" (").append(lines.size()).append(")</summary><pre>");
        for (String l : lines) b.append(esc(l)).append('\n');
        b.append("</pre></details>\n");
    }

    private static void row(StringBuilder b, String name, String x, String y, String pct) {
        b.append("<tr><td>").append(name).append("</td><td class=\"n\">").append(esc(x)).append("</td><td class=\"n\">")
                .append(esc(y)).append("</td><td class=\"n\">").append(pct).append("</td></tr>\n");
    }

    static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
