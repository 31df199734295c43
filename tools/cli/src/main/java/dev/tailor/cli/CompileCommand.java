package dev.tailor.cli;

import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.Target;
import dev.tailor.report.DiffReport;
import dev.tailor.report.GraphDiff;
import dev.tailor.report.ReportFormat;
import dev.tailor.runtime.Compilation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tailor compile MODEL -p PIPELINE -o OUT}: runs a pipeline of passes and writes the result. */
@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a pipeline of passes over a model, write the result, and optionally prove it on ONNX "
                + "Runtime against the input (--validate) and write a diff report (--report).",
                "Passes that calibrate or score (prune, quantize) use --calibration data; without it, synthetic "
                        + "inputs, and they say so."},
        footer = {"", "Examples:",
                "  tailor compile @minilm -p \"fixpoint { identity | shapes | fold | cse | dce }\" -o clean.onnx",
                "  tailor compile @minilm -p \"prune(count=2) | quantize(mode=int8_dynamic)\" -o small.onnx \\",
                "      --calibration sentences.txt --tokenizer tokenizer.json --calibration-lines 1..16 \\",
                "      --validate --inputs sentences.txt --lines 3001..3032 --min-pooled-cosine 0.9 --report diff.html",
                "  tailor compile model.onnx --pipeline-file shrink.pipeline -o out.onnx --target cuda --verify-each",
                "", "Exit codes: 0 written (and validated), 1 written but failed validation, 2 bad input, 3 a bug."})
final class CompileCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "the model to compile (.onnx, .onnxtxt, or @minilm)")
    String in;

    static final class PipelineSource {
        @Option(names = {"-p", "--pipeline"}, paramLabel = "PIPELINE", required = true,
                description = "the pipeline, e.g. \"identity | fold | cse | dce\"")
        String inline;

        @Option(names = "--pipeline-file", paramLabel = "FILE", required = true,
                description = "a file with one step per line ('#' comments, optional 'target = cuda')")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    PipelineSource pipeline;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", required = true, description = "where to write the result")
    Path out;

    @Option(names = "--target", paramLabel = "TARGET", converter = TargetConverter.class,
            description = "cpu or cuda: the device passes compile for (overrides the pipeline file's 'target =')")
    Target target;

    @Option(names = "--calibration", paramLabel = "DATA",
            description = "data for passes that calibrate or score: .npy, .npz, a folder of input_N.pb files, or "
                    + "text with --tokenizer")
    Path calibration;

    @Option(names = "--calibration-lines", paramLabel = "A..B", description = "use lines A to B of a text --calibration")
    String calibrationLines;

    @Option(names = "--validate",
            description = "run the result and the input on ONNX Runtime (--ep) on --inputs (default: synthetic) and "
                    + "check the thresholds; exit code 1 when it fails")
    boolean validate;

    @Option(names = "--report", paramLabel = "FILE",
            description = "write a diff report of the result against the input, with each pass's own report; "
                    + "the format follows the extension: .txt, .json, .md or .html")
    Path report;

    @Option(names = "--verify-each", description = "verify the IR after every pass (slower; names a pass that breaks it)")
    boolean verifyEach;

    @Option(names = "--external-data-threshold", paramLabel = "BYTES", converter = ByteSize.class,
            description = "move initializers of at least BYTES to OUT.data")
    Long threshold;

    @Mixin
    RuntimeArgs run;

    @Mixin
    ThresholdArgs thresholds;

    @Mixin
    DataArgs data;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ReportFormat reportFormat = report == null ? null : ReportFiles.formatOf(report);
        if (data.inputs != null && !validate)
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "--inputs gives the validation's inputs, but there is "
                    + "no --validate", "add --validate, or give calibration data with --calibration");
        if (calibrationLines != null && calibration == null)
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "--calibration-lines picks lines of --calibration, "
                    + "which is missing", "add --calibration FILE (a text of one sentence per line, with --tokenizer)");
        Console console = Console.of(spec);
        Compilation c = new Compilation(new ModelSource(in).path())
                .output(out)
                .target(target)
                .verifyEach(verifyEach || Boolean.getBoolean("tailor.verifyEach"))
                .writeOptions(new OnnxWriter.Options(threshold, null))
                .progress(console.progress())
                .reports(r -> printPass(console, r));
        if (pipeline.inline != null) c.pipeline(pipeline.inline);
        else c.pipelineFile(pipeline.file);
        if (calibration != null) c.calibration(calibration, data.options(calibrationLines));
        if (validate)
            c.validate(new Compilation.Validation(run.sessionOptions(), thresholds.thresholds(), data.inputs,
                    data.options()));
        Compilation.Result r = c.run();

        if (report != null) ReportFiles.write(null, report, reportFormat.render(diff(in, out.toString(), r)));
        if (r.validation() != null) console.notes(r.validation().notices());
        PrintWriter o = console.out();
        if (run.json) {
            o.print(dev.tailor.report.Json.write(CompileJson.of(in, r, report)));
        } else {
            o.printf(Locale.ROOT, "wrote %s (%s): %d -> %d nodes, %d pass runs in %.0f ms; pipeline: %s%n", out,
                    ByteSize.human(r.outputBytes()), r.original().graph().nodeCount(),
                    r.compiled().graph().nodeCount(), r.passes().size(), r.passMillis(), r.pipeline());
            if (r.validation() != null) ValidationText.print(o, r.validation(), r.validationInputs());
            if (report != null) o.printf("report: %s%n", report);
        }
        o.flush();
        return r.passed() ? ExitCodes.OK : ExitCodes.VALIDATION_FAILED;
    }

    /** The diff report of a compilation: the graphs, each pass's own report, and the validation's output metrics. */
    static DiffReport diff(String inLabel, String outLabel, Compilation.Result r) {
        DiffReport d = GraphDiff.compare(inLabel, r.original(), outLabel, r.compiled())
                .withPasses(r.pipeline().toString(), DiffReport.PassRun.of(r.passes()));
        return r.validation() == null ? d : d.withOutputs(DiffCommand.outputs(r.validation()));
    }

    /** One line per pass run on stderr (with its notes when verbose), as each finishes. */
    static void printPass(Console console, PassReport r) {
        // Lists (removed sublayers, quantized nodes) and long texts only with --verbose.
        Map<String, Object> shown = new LinkedHashMap<>();
        r.result().metrics().forEach((k, v) -> {
            if (console.verbose() || v instanceof Number || v instanceof Boolean
                    || v instanceof String s && s.length() <= 40) shown.put(k, v);
        });
        console.info(String.format(Locale.ROOT, "  %-10s %8.1f ms  %s", r.pass(), r.millis(),
                DiffReport.PassRun.format(shown)));
        for (String note : r.result().notes()) console.detail("      " + note);
    }

    static final class TargetConverter implements CommandLine.ITypeConverter<Target> {
        @Override
        public Target convert(String s) {
            try {
                return Target.valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + s + "' is not a target; targets: cpu, cuda");
            }
        }
    }
}
