package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.Dataset;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tailor validate CANDIDATE --reference ORIGINAL}: how far the candidate's outputs moved. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Run a candidate and its reference on the same inputs and compare their outputs: max and mean "
                + "abs error, relative L2, cosine, top-1 agreement (logits), pooled-embedding cosine (embedding models)."},
        footer = {"", "Examples:",
                "  tailor validate small.onnx --reference @minilm",
                "  tailor validate @minilm-q --reference @minilm --inputs sentences.txt --tokenizer tokenizer.json "
                        + "--lines 3001..3032",
                "  tailor validate model.onnx --reference original.onnx --inputs test_data_set_0 --json",
                "", "Exit codes: 0 the candidate meets the thresholds, 1 it does not, 2 bad input, 3 a bug."})
final class ValidateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CANDIDATE", description = "the model to check (.onnx, or a bundled @name)")
    String candidate;

    @Option(names = "--reference", required = true, paramLabel = "ORIGINAL", description = "the model it must match")
    String reference;

    @Mixin
    ThresholdArgs thresholds;

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
        Console console = Console.of(spec);
        var progress = console.progress();
        progress.begin("validating " + candidate + " against " + reference, 0);
        Validator.Report r;
        try {
            r = Validator.validate(ref, cand, inputs.batches(), run.sessionOptions(), thresholds.thresholds());
        } finally {
            progress.end();
        }
        PrintWriter out = console.out();
        console.notes(r.notices());
        if (run.json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("candidate", candidate);
            m.put("reference", reference);
            m.putAll(ValidationText.json(r, inputs.description()));
            out.print(dev.tailor.report.Json.write(m));
        } else {
            out.printf("%s against %s%n", candidate, reference);
            ValidationText.print(out, r, inputs.description());
        }
        out.flush();
        return r.passed() ? ExitCodes.OK : ExitCodes.VALIDATION_FAILED;
    }
}
