package dev.tailor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code tailor} command: subcommands are small classes; exit codes are mapped in {@link ExitCodes}. */
@Command(name = "tailor",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A compiler for ONNX transformer models.",
        footer = {"", "Examples:",
                "  tailor demo                     prune + quantize MiniLM, validate it, write a diff report",
                "  tailor inspect @minilm          a model's interface and transformer anatomy",
                "  tailor compile @minilm -p \"prune(count=2) | quantize\" -o small.onnx --validate",
                "  tailor diff @minilm small.onnx --format markdown",
                "", "Exit codes: 0 success, 1 validation failed, 2 bad input or usage, 3 internal error (a bug)."},
        subcommands = {DemoCommand.class, CompileCommand.class, ConvertCommand.class, DiffCommand.class,
                InspectCommand.class, PassesCommand.class, ValidateCommand.class, BenchCommand.class,
                CompletionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Wide enough for the examples in the help texts to stay on one line each. */
    static final int HELP_WIDTH = 110;

    /** How much goes to stderr, for every subcommand (the options are inherited, so they go before or after it). */
    final Console.Settings console = new Console.Settings();

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
            description = "print only results and errors: no progress, per-pass lines or notes")
    void quiet(boolean on) {
        console.quiet = on;
    }

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "print more: each pass's notes, and stack traces with errors")
    void verbose(boolean on) {
        console.verbose = on;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command, such as 'tailor demo'");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests and embedding). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setUsageHelpWidth(HELP_WIDTH);
        ExitCodes handler = new ExitCodes(main.console);
        cl.setExecutionExceptionHandler(handler::handleExecution);
        cl.setParameterExceptionHandler(handler::handleParameter);
        cl.setExitCodeExceptionMapper(ExitCodes::of);
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tailor " + version(),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                            + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
        }

        /** The project version, from the build (a filtered resource), or from the jar's manifest. */
        static String version() {
            try (var in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    java.util.Properties p = new java.util.Properties();
                    p.load(in);
                    String v = p.getProperty("version");
                    if (v != null && !v.startsWith("$")) return v;
                }
            } catch (java.io.IOException e) {
                // fall through to the manifest
            }
            String v = Main.class.getPackage().getImplementationVersion();
            return v == null ? "(development build)" : v;
        }
    }
}
