package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.report.DiffReport;
import dev.tailor.report.GraphDiff;
import dev.tailor.report.ReportFormat;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tailor diff A B}: what changed between two models, as text, JSON, Markdown or HTML. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Compare two models: nodes added, removed and changed by op type, initializers, parameters and "
                + "estimated FLOPs per token, and a block map of the transformer sublayers kept, removed, quantized, "
                + "converted or added; with --inputs, also run both on ONNX Runtime and compare their outputs."},
        footer = {"", "Examples:",
                "  tailor diff @minilm minilm-clean.onnx",
                "  tailor diff @minilm small.onnx --format markdown -o diff.md",
                "  tailor diff @minilm small.onnx -o diff.html \\",
                "      --inputs sentences.txt --tokenizer tokenizer.json --lines 1..16"})
final class DiffCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A", description = "the model before (.onnx, .onnxtxt, or @minilm)")
    String before;

    @Parameters(index = "1", paramLabel = "B", description = "the model after")
    String after;

    @Option(names = "--format", paramLabel = "FORMAT", converter = FormatConverter.class,
            description = "text, json, markdown or html (default: from -o's extension, else text)")
    ReportFormat format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write the report here (default: stdout)")
    Path out;

    @Option(names = "--ep", paramLabel = "EP", defaultValue = "auto", converter = RuntimeArgs.EpConverter.class,
            description = "with --inputs: execution provider, auto (CUDA if it works, else CPU), cpu or cuda")
    ExecutionProvider ep;

    @Mixin
    DataArgs data;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ReportFormat f = format != null ? format : out != null && ReportFormat.forFile(out) != null
                ? ReportFormat.forFile(out) : ReportFormat.TEXT;
        Model a = new ModelSource(before).read();
        Model b = new ModelSource(after).read();
        DiffReport report = GraphDiff.compare(before, a, after, b);
        if (data.inputs != null) {
            Dataset inputs = data.open(a);
            Validator.Report v = Validator.validate(a, b, inputs.batches(), Sessions.Options.of(ep),
                    new Validator.Thresholds(null, null, null, null));
            Console.of(spec).notes(v.notices());
            report = report.withOutputs(outputs(v));
        }
        ReportFiles.write(spec.commandLine().getOut(), out, f.render(report));
        return ExitCodes.OK;
    }

    static List<DiffReport.OutputComparison> outputs(Validator.Report v) {
        return v.outputs().stream().map(o -> new DiffReport.OutputComparison(o.name(), o.elements(), o.maxAbsError(),
                o.meanAbsError(), o.relativeL2(), o.cosine())).toList();
    }

    static final class FormatConverter implements CommandLine.ITypeConverter<ReportFormat> {
        @Override
        public ReportFormat convert(String s) {
            try {
                return ReportFormat.parse(s);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
