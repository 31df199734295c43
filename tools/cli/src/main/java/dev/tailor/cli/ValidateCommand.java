package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.Dataset;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tailor validate CANDIDATE --reference ORIGINAL}: how far the candidate's outputs moved. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Run a candidate and its reference on the same inputs and compare their outputs.",
                "Exit code 0 when the candidate meets the thresholds, 1 when it does not, 2 on bad input.",
                "Example: tailor validate @minilm-q --reference @minilm --inputs sentences.txt --tokenizer tokenizer.json"})
final class ValidateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CANDIDATE", description = "the model to check (.onnx, or a bundled @name)")
    String candidate;

    @Option(names = "--reference", required = true, paramLabel = "ORIGINAL", description = "the model it must match")
    String reference;

    @Option(names = "--min-cosine", paramLabel = "X", defaultValue = "0.98", description = "per-output cosine floor")
    double minCosine;

    @Option(names = "--max-abs-error", paramLabel = "X", description = "per-output max abs error ceiling")
    Double maxAbsError;

    @Option(names = "--min-top1", paramLabel = "X", defaultValue = "0.9", description = "top-1 agreement floor (logits)")
    double minTop1;

    @Option(names = "--min-pooled-cosine", paramLabel = "X", defaultValue = "0.98",
            description = "floor of every sentence's mean-pooled embedding cosine (embedding models)")
    double minPooled;

    @Mixin
    RuntimeArgs run;

    @Mixin
    DataArgs data;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Model ref = new ModelSource(reference).read();
        Model cand = new ModelSource(candidate).read();
        Dataset inputs = data.open(ref);
        Validator.Report r = Validator.validate(ref, cand, inputs.batches(), run.sessionOptions(),
                new Validator.Thresholds(minCosine, maxAbsError, minTop1, minPooled));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RuntimeArgs.printNotices(err, r.notices());
        if (run.json) {
            out.print(dev.tailor.report.Json.write(toJson(r, inputs)));
        } else {
            out.printf(Locale.ROOT, "%s against %s on %s, %d batch%s (%s)%n", candidate, reference, r.provider(),
                    r.batches(), r.batches() == 1 ? "" : "es", inputs.description());
            out.println("output                 max abs     mean abs    rel L2      cosine     top-1   pooled cos (min)");
            for (Validator.OutputMetrics m : r.outputs())
                out.printf(Locale.ROOT, "%-22s %-11.4g %-11.4g %-11.4g %-10.6f %-7s %s%n", m.name(), m.maxAbsError(),
                        m.meanAbsError(), m.relativeL2(), m.cosine(),
                        m.top1Agreement() == null ? "-" : String.format(Locale.ROOT, "%.3f", m.top1Agreement()),
                        m.pooledCosineMin() == null ? "-" : String.format(Locale.ROOT, "%.5f (%.5f)",
                                m.pooledCosineMean(), m.pooledCosineMin()));
            out.println("candidate nodes by execution provider: " + r.candidateNodesByProvider());
            if (!r.cpuNodes().isEmpty())
                out.println("nodes that fell back to the CPU: " + String.join(", ", r.cpuNodes()));
            out.println(r.passed() ? "PASS" : "FAIL: " + String.join("; ", r.failures()));
        }
        out.flush();
        return r.passed() ? ExitCodes.OK : ExitCodes.VALIDATION_FAILED;
    }

    private Map<String, Object> toJson(Validator.Report r, Dataset inputs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("candidate", candidate);
        m.put("reference", reference);
        m.put("execution_provider", r.provider().toString());
        m.put("notices", r.notices());
        m.put("inputs", inputs.description());
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
