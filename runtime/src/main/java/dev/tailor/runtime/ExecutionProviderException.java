package dev.tailor.runtime;

/** The requested execution provider cannot run here; the message says what is missing and what to do. */
public final class ExecutionProviderException extends RuntimeException {
    public ExecutionProviderException(String message, Throwable cause) {
        super(message, cause);
    }
}
