package dev.tailor.cli;

import dev.tailor.compiler.analysis.VerificationException;
import dev.tailor.compiler.anatomy.AnatomyException;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PipelineException;
import dev.tailor.runtime.CompilationException;
import dev.tailor.runtime.ExecutionProviderException;
import dev.tailor.runtime.data.DataException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * The one place where failures become exit codes and messages. The user sees what is wrong and where on one line
 * ({@code tailor: error: …}; a pipeline error adds its line with a caret), then a hint; never an exception's class
 * name. {@code --verbose} adds the stack trace. An internal error (a bug) also writes the trace to a log file and
 * asks for a report.
 */
final class ExitCodes {
    static final int OK = 0;
    /** A validation ran and the model failed it. */
    static final int VALIDATION_FAILED = 1;
    /** Bad input: wrong usage, a malformed or unsafe model, a file that cannot be read or written. */
    static final int BAD_INPUT = 2;
    /** A bug in Tailor. */
    static final int INTERNAL = 3;

    private final Console.Settings console;

    ExitCodes(Console.Settings console) {
        this.console = console;
    }

    static int of(Throwable t) {
        if (t instanceof CommandLine.ParameterException) return BAD_INPUT;
        if (t instanceof ModelFormatException) return BAD_INPUT;
        if (t instanceof PipelineException) return BAD_INPUT;
        if (t instanceof DataException) return BAD_INPUT;
        if (t instanceof ExecutionProviderException) return BAD_INPUT;
        if (t instanceof CompilationException) return BAD_INPUT;
        if (t instanceof AnatomyException) return BAD_INPUT;
        if (t instanceof VerificationException) return INTERNAL;
        if (t instanceof PassException p) return p.getCause() == null && !p.getMessage().contains("left the model broken")
                ? BAD_INPUT : INTERNAL;
        if (t instanceof UncheckedIOException || t instanceof java.io.IOException) return BAD_INPUT;
        if (t instanceof UserError u) return u.exitCode();
        return INTERNAL;
    }

    /** What to try next, by the kind of failure. */
    static String hint(Throwable t, String subcommand) {
        if (t instanceof UserError u && u.hint() != null) return u.hint();
        if (t instanceof PipelineException)
            return "'tailor passes' lists every pass with its options; 'tailor compile --help' shows pipeline examples";
        if (t instanceof ModelFormatException)
            return "Tailor reads binary ONNX (.onnx, external data beside it), ONNX text (.onnxtxt) and bundled "
                    + "models (@minilm, @minilm-q); check the path and that the file is complete";
        if (t instanceof DataException)
            return "inputs are .npy, .npz, folders of input_N.pb files, or text with --tokenizer; '" + subcommand
                    + " --help' says more";
        if (t instanceof ExecutionProviderException) return "'--ep cpu' runs on the CPU";
        if (t instanceof PassException || t instanceof AnatomyException)
            return "'tailor passes' lists each pass's options; 'tailor inspect MODEL' shows what the anatomy found";
        if (t instanceof UncheckedIOException || t instanceof java.io.IOException)
            return "check that the path exists and that you may read (or write) it";
        return "'" + subcommand + " --help' shows the options, with examples";
    }

    int handleExecution(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        int code = of(e);
        PrintWriter err = cl.getErr();
        String subcommand = commandName(cl);
        if (code == INTERNAL) {
            Path log = ErrorLog.write(e, parsed == null ? null : parsed.originalArgs());
            err.println("tailor: error: internal error: " + describe(e));
            err.println("tailor: this is a bug in Tailor; please report it with the log file "
                    + (log == null ? "(it could not be written; run again with --verbose)" : log));
        } else {
            err.println("tailor: error: " + describe(e));
            err.println("tailor: hint: " + hint(e, subcommand));
        }
        if (console.verbose) e.printStackTrace(err);
        err.flush();
        return code;
    }

    int handleParameter(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("tailor: error: " + e.getMessage());
        String hint = "'" + commandName(cl) + " --help' shows the options, with examples";
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty())
            hint = "did you mean " + String.join(" or ", u.getSuggestions()) + "? " + hint;
        err.println("tailor: hint: " + hint);
        if (console.verbose) e.printStackTrace(err);
        err.flush();
        return BAD_INPUT;
    }

    /** The message in words: the exception's own message, or for a bare JDK exception what kind of failure it is. */
    static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            String kind = e.getClass().getSimpleName().replaceAll("(Exception|Error)$", "")
                    .replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT);
            StackTraceElement at = e.getStackTrace().length > 0 ? e.getStackTrace()[0] : null;
            return kind + (at == null ? "" : " in " + at.getClassName().replaceAll(".*\\.", "") + "." + at.getMethodName());
        }
        return m;
    }

    private static String commandName(CommandLine cl) {
        return cl.getCommandSpec().qualifiedName(" ");
    }

    /** A failure with a message meant for the user as it is, and optionally a hint. */
    static final class UserError extends RuntimeException {
        private final int exitCode;
        private final String hint;

        UserError(int exitCode, String message) {
            this(exitCode, message, null);
        }

        UserError(int exitCode, String message, String hint) {
            super(message);
            this.exitCode = exitCode;
            this.hint = hint;
        }

        int exitCode() {
            return exitCode;
        }

        String hint() {
            return hint;
        }
    }
}
