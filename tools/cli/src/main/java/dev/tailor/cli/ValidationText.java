package dev.tailor.cli;

import dev.tailor.runtime.Validator;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A validation report as text (a table per output, then PASS or FAIL) and as JSON, for every command that validates. */
final class ValidationText {
    private ValidationText() {}

    static void print(PrintWriter out, Validator.Report r, String inputs) {
        out.printf(Locale.ROOT, "validation on %s, %d batch%s (%s)%n", r.provider(), r.batches(),
                r.batches() == 1 ? "" : "es", inputs);
        out.println("output                 max abs     mean abs    rel L2      cosine     top-1   pooled cos (min)");
        for (Validator.OutputMetrics m : r.outputs())
            out.printf(Locale.ROOT, "%-22s %-11.4g %-11.4g %-11.4g %-10.6f %-7s %s%n", m.name(), m.maxAbsError(),
                    m.meanAbsError(), m.relativeL2(), m.cosine(),
                    m.top1Agreement() == null ? "-" : String.format(Locale.ROOT, "%.3f", m.top1Agreement()),
                    m.pooledCosineMin() == null ? "-" : String.format(Locale.ROOT, "%.5f (%.5f)",
                            m.pooledCosineMean(), m.pooledCosineMin()));
        out.println("candidate nodes by execution provider: " + r.candidateNodesByProvider());
        if (!r.cpuNodes().isEmpty()) out.println("nodes that fell back to the CPU: " + String.join(", ", r.cpuNodes()));
        out.println(r.passed() ? "PASS" : "FAIL: " + String.join("; ", r.failures()));
    }

    static Map<String, Object> json(Validator.Report r, String inputs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("execution_provider", r.provider().toString());
        m.put("notices", r.notices());
        m.put("inputs", inputs);
        m.put("batches", r.batches());
        List<Object> outs = new ArrayList<>();
        for (Validator.OutputMetrics o : r.outputs()) {
            Map<String, Object> om = new LinkedHashMap<>();
            om.put("name", o.name());
            om.put("elements", o.elements());
            om.put("max_abs_error", o.maxAbsError());
            om.put("mean_abs_error", o.meanAbsError());
            om.put("relative_l2", o.relativeL2());
            om.put("cosine", o.cosine());
            om.put("top1_agreement", o.top1Agreement());
            om.put("pooled_cosine_mean", o.pooledCosineMean());
            om.put("pooled_cosine_min", o.pooledCosineMin());
            outs.add(om);
        }
        m.put("outputs", outs);
        m.put("candidate_nodes_by_provider", r.candidateNodesByProvider());
        m.put("cpu_fallback_nodes", r.cpuNodes());
        m.put("passed", r.passed());
        m.put("failures", r.failures());
        return m;
    }
}
