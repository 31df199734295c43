package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.text.TextWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tailor convert IN OUT}: reads a model and writes it again, losslessly: binary ONNX ({@code .onnx}) or ONNX
 * text ({@code .onnxtxt}) either way, by the files' extensions; optionally moving weights to external data (binary)
 * or leaving large tensors out of the text (text).
 */
@Command(name = "convert",
        mixinStandardHelpOptions = true,
        description = {"Read a model and write it again, losslessly.",
                "IN is a file or a bundled model (@minilm). A file ending in .onnxtxt is ONNX text, any other binary "
                        + "ONNX; OUT likewise. The output is written atomically; IN is never changed."},
        footer = {"", "Examples:",
                "  tailor convert @minilm minilm.onnxtxt --max-inline-bytes 1K",
                "  tailor convert minilm.onnxtxt minilm.onnx",
                "  tailor convert big.onnx big-ext.onnx --external-data-threshold 1M"})
final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "the model to read (.onnx, .onnxtxt, or @minilm)")
    String in;

    @Parameters(index = "1", paramLabel = "OUT", description = "where to write the model (.onnx, or .onnxtxt for text)")
    Path out;

    @Option(names = "--external-data-threshold", paramLabel = "BYTES", converter = ByteSize.class,
            description = {"move initializers of at least BYTES (e.g. 1024, 1M) to an external data file "
                    + "OUT.data next to OUT.",
                    "Without it, tensors stay where they were; over 2 GiB, external data is used anyway."})
    Long threshold;

    @Option(names = "--max-inline-bytes", paramLabel = "BYTES", converter = ByteSize.class,
            description = {"text output: leave tensors of more than BYTES (e.g. 0, 1K) out of the text; they go to a "
                    + "side file OUT.data next to OUT, and the text refers to them by name and shape.",
                    "Without it, every tensor is written in the text."})
    Long maxInlineBytes;

    @Option(names = "--data-file", paramLabel = "NAME",
            description = "the external data (or text side) file's name, in OUT's folder (default: OUT's name + .data)")
    String dataFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        boolean text = dev.tailor.compiler.onnx.ModelFiles.isText(out);
        if (text && threshold != null)
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "--external-data-threshold applies to binary output; "
                    + "for text output (.onnxtxt), --max-inline-bytes leaves large tensors out of the text");
        if (!text && maxInlineBytes != null)
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "--max-inline-bytes applies to text output (.onnxtxt); "
                    + "for binary output, --external-data-threshold moves large tensors to external data");
        ModelSource source = new ModelSource(in);
        Path inPath = source.path();
        if (Files.isDirectory(out))
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "OUT '" + out + "' is a folder; give a file name");
        Model model = source.read();
        StringBuilder line = new StringBuilder("wrote ").append(out);
        if (text) {
            TextWriter.Result r = TextWriter.write(model, out, new TextWriter.Options(maxInlineBytes, dataFile));
            line.append(" (").append(ByteSize.human(r.textBytes())).append(")");
            if (r.dataFile() != null)
                line.append(" + ").append(r.dataFile().getFileName()).append(" (").append(r.outOfLineTensors())
                        .append(" tensors, ").append(ByteSize.human(r.dataBytes())).append(")");
        } else {
            OnnxWriter.Result r = OnnxWriter.write(model, out, new OnnxWriter.Options(threshold, dataFile));
            line.append(" (").append(ByteSize.human(r.modelBytes())).append(")");
            if (r.dataFile() != null)
                line.append(" + ").append(r.dataFile().getFileName()).append(" (").append(r.externalTensors())
                        .append(" tensors, ").append(ByteSize.human(r.dataBytes())).append(")");
            if (r.externalForcedBySize())
                line.append("; external data was needed to stay under protobuf's 2 GiB limit");
        }
        line.append(" from ").append(inPath);
        PrintWriter o = spec.commandLine().getOut();
        o.println(line);
        o.flush();
        return ExitCodes.OK;
    }
}
