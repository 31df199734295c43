package dev.tailor.cli;

import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.Sessions;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options of commands that run models on ONNX Runtime: where, and how to report. */
final class RuntimeArgs {
    @Option(names = "--ep", paramLabel = "EP", defaultValue = "auto", converter = EpConverter.class,
            description = "execution provider: auto (CUDA if it works, else CPU), cpu or cuda")
    ExecutionProvider ep;

    @Option(names = "--no-cpu-fallback", description = "in a CUDA session, fail rather than run nodes on the CPU")
    boolean noCpuFallback;

    @Option(names = "--json", description = "print JSON (stdout then holds only the JSON document)")
    boolean json;

    Sessions.Options sessionOptions() {
        Sessions.Options o = Sessions.Options.of(ep);
        return noCpuFallback ? o.withoutCpuFallback() : o;
    }

    static final class EpConverter implements CommandLine.ITypeConverter<ExecutionProvider> {
        @Override
        public ExecutionProvider convert(String s) {
            try {
                return ExecutionProvider.parse(s);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
