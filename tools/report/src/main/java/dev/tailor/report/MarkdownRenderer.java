package dev.tailor.report;

import java.util.Locale;

/** GitHub-flavoured Markdown for a pull-request comment: tables, with the long lists folded in details. */
final class MarkdownRenderer {
    private MarkdownRenderer() {}

    static String render(DiffReport r) {
        StringBuilder b = new StringBuilder();
        DiffReport.Side x = r.before(), y = r.after();
        b.append("### Tailor diff: `").append(esc(x.label())).append("` → `").append(esc(y.label())).append("`\n\n");
        b.append("| | before | after | change |\n|---|---:|---:|---:|\n");
        for (SummaryRow s : SummaryRow.of(r)) row(b, s.name(), s.before(), s.after(), s.change());
        DiffReport.Matching m = r.matching();
        b.append(String.format(Locale.ROOT, "%n**Nodes:** %d added, %d removed, %d changed; %d matched (%d by name, "
                        + "%d by structure). **Initializers:** %d added, %d removed, %d changed.%n%n",
                r.count(DiffReport.Kind.ADDED), r.count(DiffReport.Kind.REMOVED), r.count(DiffReport.Kind.CHANGED),
                m.matched(), m.byName(), m.byStructure(), r.initializerCount(DiffReport.Kind.ADDED),
                r.initializerCount(DiffReport.Kind.REMOVED), r.initializerCount(DiffReport.Kind.CHANGED)));
        b.append("| op type | before | after | added | removed | changed |\n|---|---:|---:|---:|---:|---:|\n");
        for (DiffReport.OpTypeChange o : r.opTypes()) {
            if (o.added() + o.removed() + o.changed() == 0) continue;
            b.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d |%n", esc(o.opType()), o.before(),
                    o.after(), o.added(), o.removed(), o.changed()));
        }
        if (r.blockMap() != null) {
            b.append("\n| block | sublayers |\n|---:|---|\n");
            for (BlockMap.Block bl : r.blockMap().blocks()) {
                StringBuilder s = new StringBuilder();
                for (BlockMap.Sublayer sl : bl.sublayers())
                    s.append(s.length() == 0 ? "" : ", ").append(esc(sl.kind())).append(": ")
                            .append(sl.status().name().toLowerCase(Locale.ROOT));
                b.append("| ").append(bl.index()).append(" | ").append(s).append(" |\n");
            }
        }
        if (!r.outputs().isEmpty()) {
            b.append("\n| output | max abs | mean abs | rel L2 | cosine |\n|---|---:|---:|---:|---:|\n");
            for (DiffReport.OutputComparison o : r.outputs())
                b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.6f |%n", esc(o.name()),
                        Numbers.metric(o.maxAbsError()), Numbers.metric(o.meanAbsError()),
                        Numbers.metric(o.relativeL2()), o.cosine()));
        }
        if (r.pipeline() != null) {
            b.append("\nPipeline: `").append(r.pipeline()).append("`\n\n| pass | ms | changed | measured |\n"
                    + "|---|---:|---|---|\n");
            for (DiffReport.PassRun p : r.passes())
                b.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s |%n", esc(p.pass()), p.millis(),
                        p.modified() ? "yes" : "no", esc(TextRenderer.metrics(p.metrics()))));
        }
        details(b, "node changes", r.nodes().size(),
                r.nodes().stream().limit(TextRenderer.LIST_LIMIT).map(TextRenderer::nodeLine).toList());
        details(b, "initializer changes", r.initializers().size(),
                r.initializers().stream().limit(TextRenderer.LIST_LIMIT).map(TextRenderer::initLine).toList());
        b.append("\n<sub>").append(Numbers.flopRule(r)).append("</sub>\n");
        return b.toString();
    }

    private static void details(StringBuilder b, String what, int total, java.util.List<String> lines) {
        if (lines.isEmpty()) return;
        b.append("\n<details><summary>").append(total).append(' ').append(what)
                .append(total > lines.size() ? " (first " + lines.size() + ")" : "").append("</summary>\n\n```\n");
        for (String l : lines) b.append(l).append('\n');
        b.append("```\n</details>\n");
    }

    private static void row(StringBuilder b, String name, String x, String y, String pct) {
        b.append("| ").append(name).append(" | ").append(x).append(" | ").append(y).append(" | ").append(pct)
                .append(" |\n");
    }

    /** Escapes what would break a table cell or start Markdown syntax. */
    static String esc(String s) {
        if (s == null) return "";
        return s.replace("|", "\\|").replace("<", "&lt;").replace("`", "'");
    }
}
