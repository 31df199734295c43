package dev.tailor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tailor} command: subcommands are small classes; exit codes are mapped in {@link ExitCodes}. */
@Command(name = "tailor",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A compiler for ONNX transformer models.",
        subcommands = {CompileCommand.class, ConvertCommand.class, DiffCommand.class, InspectCommand.class, PassesCommand.class,
                ValidateCommand.class, BenchCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command, such as 'tailor convert'");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests and embedding). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(ExitCodes::handle);
        cl.setExitCodeExceptionMapper(ExitCodes::of);
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tailor " + (v == null ? "(development build)" : v)};
        }
    }
}
