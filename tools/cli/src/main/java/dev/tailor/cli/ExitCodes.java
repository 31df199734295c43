package dev.tailor.cli;

import dev.tailor.compiler.analysis.VerificationException;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PipelineException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * The one place where failures become exit codes and messages. Users see one line saying what is wrong, never a
 * stack trace (set {@code TAILOR_DEBUG=1} to get one).
 */
final class ExitCodes {
    static final int OK = 0;
    /** A validation ran and the model failed it. */
    static final int VALIDATION_FAILED = 1;
    /** Bad input: wrong usage, a malformed or unsafe model, a file that cannot be read or written. */
    static final int BAD_INPUT = 2;
    /** A bug in Tailor. */
    static final int INTERNAL = 3;

    private ExitCodes() {}

    static int of(Throwable t) {
        if (t instanceof CommandLine.ParameterException) return BAD_INPUT;
        if (t instanceof ModelFormatException) return BAD_INPUT;
        if (t instanceof PipelineException) return BAD_INPUT;
        if (t instanceof dev.tailor.runtime.data.DataException) return BAD_INPUT;
        if (t instanceof dev.tailor.runtime.ExecutionProviderException) return BAD_INPUT;
        if (t instanceof VerificationException) return INTERNAL;
        if (t instanceof PassException p) return p.getCause() == null && !p.getMessage().contains("left the model broken")
                ? BAD_INPUT : INTERNAL;
        if (t instanceof UncheckedIOException || t instanceof java.io.IOException) return BAD_INPUT;
        if (t instanceof UserError) return ((UserError) t).exitCode();
        return INTERNAL;
    }

    static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        int code = of(e);
        String message = switch (code) {
            case INTERNAL -> "internal error: " + e + " (please report it; TAILOR_DEBUG=1 shows the stack trace)";
            default -> e.getMessage();
        };
        cl.getErr().println("tailor: error: " + message);
        if ("1".equals(System.getenv("TAILOR_DEBUG"))) e.printStackTrace(cl.getErr());
        return code;
    }

    /** A failure with a message meant for the user as it is. */
    static final class UserError extends RuntimeException {
        private final int exitCode;

        UserError(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }

        int exitCode() {
            return exitCode;
        }
    }
}
