package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.Pipeline;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.report.DiffReport;
import dev.tailor.report.GraphDiff;
import dev.tailor.report.ReportFormat;
import dev.tailor.runtime.OrtEvaluator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tailor compile MODEL -p PIPELINE -o OUT}: runs a pipeline of passes and writes the result. */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Run a pipeline of passes over a model and write the result.",
                "Example: tailor compile @minilm -p \"fixpoint { identity | fold | cse | dce }\" -o clean.onnx"})
final class CompileCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "the model to compile (.onnx, or @minilm)")
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

    @Option(names = "--verify-each", description = "verify the IR after every pass (slower; names a pass that breaks it)")
    boolean verifyEach;

    @Option(names = "--external-data-threshold", paramLabel = "BYTES", converter = ByteSize.class,
            description = "move initializers of at least BYTES to OUT.data")
    Long threshold;

    @Option(names = "--report", paramLabel = "FILE",
            description = "write a diff report of the result against the input, with each pass's own report; "
                    + "the format follows the extension: .txt, .json, .md or .html")
    Path report;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Pipeline p = parsePipeline();
        ReportFormat reportFormat = report == null ? null : ReportFiles.formatOf(report);
        Model model = new ModelSource(in).read();
        int before = model.graph().nodeCount();
        PrintWriter err = spec.commandLine().getErr();
        List<PassReport> reports = new PassManager(verifyEach || Boolean.getBoolean("tailor.verifyEach")).run(model, p,
                PassContext.builder().evaluator(new OrtEvaluator()).target(p.target())
                        .reports(r -> {
                            err.printf(Locale.ROOT, "  %-10s %8.1f ms  %s%n", r.pass(), r.millis(), r.result().metrics());
                            err.flush();
                        }).build());
        OnnxWriter.Result r = OnnxWriter.write(model, out, new OnnxWriter.Options(threshold, null));
        if (report != null) {
            // The input is read again rather than copied before the run: reading maps the file, copying nothing.
            DiffReport d = GraphDiff.compare(in, new ModelSource(in).read(), out.toString(), model)
                    .withPasses(p.toString(), reports.stream().map(x -> new DiffReport.PassRun(x.pass(), x.step(),
                            x.millis(), x.result().isModified(), x.result().metrics(), x.result().notes())).toList());
            ReportFiles.write(null, report, reportFormat.render(d));
        }
        PrintWriter o = spec.commandLine().getOut();
        double total = reports.stream().mapToDouble(PassReport::millis).sum();
        o.printf(Locale.ROOT, "wrote %s (%s): %d -> %d nodes, %d pass runs in %.0f ms; pipeline: %s%n", out,
                ByteSize.human(r.modelBytes() + r.dataBytes()), before, model.graph().nodeCount(), reports.size(),
                total, p);
        if (report != null) o.printf("report: %s%n", report);
        o.flush();
        return ExitCodes.OK;
    }

    private Pipeline parsePipeline() throws IOException {
        PipelineParser parser = new PipelineParser(PassRegistry.load());
        if (pipeline.inline != null) return parser.parse(pipeline.inline, "pipeline");
        try {
            return parser.parse(Files.readString(pipeline.file), pipeline.file.toString());
        } catch (NoSuchFileException e) {
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, pipeline.file + ": no such pipeline file");
        }
    }
}
