package dev.tailor.report;

import java.util.List;

/** One line of a report's size summary (nodes, initializers, parameters, weights, FLOPs), formatted once for every renderer. */
record SummaryRow(String name, String before, String after, String change) {

    static List<SummaryRow> of(DiffReport r) {
        DiffReport.Side x = r.before(), y = r.after();
        return List.of(
                new SummaryRow("nodes", Long.toString(x.nodes()), Long.toString(y.nodes()),
                        Numbers.percent(x.nodes(), y.nodes())),
                new SummaryRow("initializers", Long.toString(x.initializers()), Long.toString(y.initializers()),
                        Numbers.percent(x.initializers(), y.initializers())),
                new SummaryRow("parameters", Numbers.count(x.parameters()), Numbers.count(y.parameters()),
                        Numbers.percent(x.parameters(), y.parameters())),
                new SummaryRow("weights", Numbers.bytes(x.weightBytes()), Numbers.bytes(y.weightBytes()),
                        Numbers.percent(x.weightBytes(), y.weightBytes())),
                new SummaryRow("FLOPs/token", Numbers.flopsText(x), Numbers.flopsText(y),
                        Numbers.percent(Numbers.flops(x), Numbers.flops(y))));
    }
}
