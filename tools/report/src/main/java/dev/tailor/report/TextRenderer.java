package dev.tailor.report;

import java.util.Locale;
import java.util.Map;

/** Plain text for a terminal: totals, op types, then the first changes of each kind (JSON has them all). */
final class TextRenderer {
    /** How many node and initializer changes text and Markdown list; the counts always cover all of them. */
    static final int LIST_LIMIT = 40;

    private TextRenderer() {}

    static String render(DiffReport r) {
        StringBuilder b = new StringBuilder();
        DiffReport.Side x = r.before(), y = r.after();
        b.append(String.format(Locale.ROOT, "%-14s %-30s %-30s%n", "", x.label(), y.label()));
        for (SummaryRow s : SummaryRow.of(r)) row(b, s.name(), s.before(), s.after(), s.change());
        DiffReport.Matching m = r.matching();
        b.append(String.format(Locale.ROOT, "%nnodes: %d added, %d removed, %d changed; %d matched (%d by name, %d by "
                        + "structure)%n", r.count(DiffReport.Kind.ADDED), r.count(DiffReport.Kind.REMOVED),
                r.count(DiffReport.Kind.CHANGED), m.matched(), m.byName(), m.byStructure()));
        b.append(String.format(Locale.ROOT, "initializers: %d added, %d removed, %d changed%n",
                r.initializerCount(DiffReport.Kind.ADDED), r.initializerCount(DiffReport.Kind.REMOVED),
                r.initializerCount(DiffReport.Kind.CHANGED)));
        b.append(String.format(Locale.ROOT, "%n%-24s %7s %7s %7s %7s %7s%n", "op type", "before", "after", "added",
                "removed", "changed"));
        for (DiffReport.OpTypeChange o : r.opTypes()) {
            if (o.added() + o.removed() + o.changed() == 0 && o.before() == o.after()) continue;
            b.append(String.format(Locale.ROOT, "%-24s %7d %7d %7d %7d %7d%n", o.opType(), o.before(), o.after(),
                    o.added(), o.removed(), o.changed()));
        }
        if (!r.nodes().isEmpty()) {
            b.append(String.format(Locale.ROOT, "%nnode changes%s:%n", r.nodes().size() > LIST_LIMIT
                    ? " (first " + LIST_LIMIT + " of " + r.nodes().size() + ")" : ""));
            r.nodes().stream().limit(LIST_LIMIT).forEach(n -> b.append("  ").append(nodeLine(n)).append('\n'));
        }
        if (!r.initializers().isEmpty()) {
            b.append(String.format(Locale.ROOT, "%ninitializer changes%s:%n", r.initializers().size() > LIST_LIMIT
                    ? " (first " + LIST_LIMIT + " of " + r.initializers().size() + ")" : ""));
            r.initializers().stream().limit(LIST_LIMIT).forEach(i -> b.append("  ").append(initLine(i)).append('\n'));
        }
        if (r.pipeline() != null) {
            b.append("\npipeline: ").append(r.pipeline()).append('\n');
            for (DiffReport.PassRun p : r.passes())
                b.append(String.format(Locale.ROOT, "  %-10s %8.1f ms  %-9s %s%s%n", p.pass(), p.millis(),
                        p.modified() ? "changed" : "unchanged", metrics(p.metrics()),
                        p.notes().isEmpty() ? "" : "  " + String.join("; ", p.notes())));
        }
        if (!r.outputs().isEmpty()) {
            b.append(String.format(Locale.ROOT, "%n%-24s %-11s %-11s %-11s %s%n", "output", "max abs", "mean abs",
                    "rel L2", "cosine"));
            for (DiffReport.OutputComparison o : r.outputs())
                b.append(String.format(Locale.ROOT, "%-24s %-11s %-11s %-11s %.6f%n", o.name(),
                        Numbers.metric(o.maxAbsError()), Numbers.metric(o.meanAbsError()),
                        Numbers.metric(o.relativeL2()), o.cosine()));
        }
        if (r.blockMap() != null) {
            b.append("\nblocks:\n");
            for (BlockMap.Block bl : r.blockMap().blocks()) {
                b.append(String.format(Locale.ROOT, "  %3d ", bl.index()));
                for (BlockMap.Sublayer s : bl.sublayers())
                    b.append(' ').append(s.kind()).append('=').append(s.status().name().toLowerCase(Locale.ROOT));
                b.append('\n');
            }
        }
        b.append('\n').append(Numbers.flopRule(r)).append('\n');
        return b.toString();
    }

    private static void row(StringBuilder b, String name, String x, String y, String pct) {
        b.append(String.format(Locale.ROOT, "%-14s %-30s %-30s%n", name, x, (y + " " + pct).strip()));
    }

    /** Longer lists are cut in reports meant for reading (JSON keeps them whole). */
    static final int LIST_SHOWN = 6;

    /** A pass's measurements on one line: doubles to 5 significant digits, long lists cut with their size. */
    static String metrics(Map<String, Object> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(value(v)));
        return b.toString();
    }

    private static String value(Object v) {
        if (v instanceof Double d) return String.format(Locale.ROOT, "%.5g", d);
        if (v instanceof java.util.List<?> l && l.size() > LIST_SHOWN)
            return l.subList(0, LIST_SHOWN).stream().map(TextRenderer::value)
                    .collect(java.util.stream.Collectors.joining(", ", "[", ", … (" + l.size() + " in all)]"));
        if (v instanceof java.util.List<?> l)
            return l.stream().map(TextRenderer::value).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        return String.valueOf(v);
    }

    static String nodeLine(DiffReport.NodeChange n) {
        return switch (n.kind()) {
            case ADDED -> "+ " + n.opType() + " '" + n.after() + "'";
            case REMOVED -> "- " + n.opType() + " '" + n.before() + "'";
            case CHANGED -> "~ " + n.opType() + " '" + n.after() + "'"
                    + (n.before() != null && !n.before().equals(n.after()) ? " (was '" + n.before() + "')" : "")
                    + ": " + String.join("; ", n.reasons());
        };
    }

    static String initLine(DiffReport.InitializerChange i) {
        return switch (i.kind()) {
            case ADDED -> "+ '" + i.after() + "' " + i.typeAfter() + i.shapeAfter() + " " + Numbers.bytes(i.bytesAfter());
            case REMOVED -> "- '" + i.before() + "' " + i.typeBefore() + i.shapeBefore() + " "
                    + Numbers.bytes(i.bytesBefore());
            case CHANGED -> "~ '" + i.before() + "'" + (i.after().equals(i.before()) ? "" : " -> '" + i.after() + "'")
                    + " " + i.typeBefore() + i.shapeBefore() + " " + Numbers.bytes(i.bytesBefore()) + " -> "
                    + i.typeAfter() + i.shapeAfter() + " " + Numbers.bytes(i.bytesAfter());
        };
    }
}
