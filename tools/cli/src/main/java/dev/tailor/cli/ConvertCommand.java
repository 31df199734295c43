package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tailor convert IN OUT}: reads a model and writes it again, optionally moving weights to external data. */
@Command(name = "convert",
        mixinStandardHelpOptions = true,
        description = {"Read a model and write it again, losslessly.",
                "IN is a file or a bundled model (@minilm). The output is written atomically; IN is never changed."})
final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "the model to read (.onnx, or @minilm)")
    String in;

    @Parameters(index = "1", paramLabel = "OUT", description = "where to write the model (.onnx)")
    Path out;

    @Option(names = "--external-data-threshold", paramLabel = "BYTES", converter = ByteSize.class,
            description = {"move initializers of at least BYTES (e.g. 1024, 1M) to an external data file "
                    + "OUT.data next to OUT.",
                    "Without it, tensors stay where they were; over 2 GiB, external data is used anyway."})
    Long threshold;

    @Option(names = "--data-file", paramLabel = "NAME",
            description = "the external data file's name, in OUT's folder (default: OUT's name + .data)")
    String dataFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ModelSource source = new ModelSource(in);
        Path inPath = source.path();
        if (Files.isDirectory(out))
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "OUT '" + out + "' is a folder; give a file name");
        Model model = source.read();
        OnnxWriter.Result r = OnnxWriter.write(model, out, new OnnxWriter.Options(threshold, dataFile));
        PrintWriter o = spec.commandLine().getOut();
        StringBuilder line = new StringBuilder()
                .append("wrote ").append(out).append(" (").append(ByteSize.human(r.modelBytes())).append(")");
        if (r.dataFile() != null)
            line.append(" + ").append(r.dataFile().getFileName()).append(" (").append(r.externalTensors())
                    .append(" tensors, ").append(ByteSize.human(r.dataBytes())).append(")");
        if (r.externalForcedBySize()) line.append("; external data was needed to stay under protobuf's 2 GiB limit");
        line.append(" from ").append(inPath);
        o.println(line);
        o.flush();
        return ExitCodes.OK;
    }
}
