package dev.tailor.runtime;

/**
 * A compilation that cannot start as asked (a pipeline file that is missing, an output path that is a folder):
 * the message says what is wrong and where, and is meant to be shown to the user as it is.
 */
public final class CompilationException extends RuntimeException {
    public CompilationException(String message) {
        super(message);
    }

    public CompilationException(String message, Throwable cause) {
        super(message, cause);
    }
}
