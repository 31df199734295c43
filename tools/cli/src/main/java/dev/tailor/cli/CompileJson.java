package dev.tailor.cli;

import dev.tailor.runtime.Compilation;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A compilation's result as one JSON document ({@code compile --json}). */
final class CompileJson {
    private CompileJson() {}

    static Map<String, Object> of(String input, Compilation.Result r, Path report) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("input", input);
        m.put("output", r.output().toString());
        m.put("pipeline", r.pipeline().toString());
        m.put("target", r.pipeline().target().name().toLowerCase(java.util.Locale.ROOT));
        m.put("calibration", r.calibration());
        m.put("input_bytes", r.inputBytes());
        m.put("output_bytes", r.outputBytes());
        m.put("nodes_before", r.original().graph().nodeCount());
        m.put("nodes_after", r.compiled().graph().nodeCount());
        List<Object> passes = r.passes().stream().<Object>map(p -> {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("pass", p.pass());
            pm.put("step", p.step());
            pm.put("ms", p.millis());
            pm.put("modified", p.result().isModified());
            pm.put("metrics", p.result().metrics());
            pm.put("notes", p.result().notes());
            return pm;
        }).toList();
        m.put("passes", passes);
        m.put("validation", r.validation() == null ? null : ValidationText.json(r.validation(), r.validationInputs()));
        m.put("report", report == null ? null : report.toString());
        m.put("passed", r.passed());
        return m;
    }
}
