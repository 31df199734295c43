package dev.tailor.compiler.analysis;

import java.util.List;
import java.util.stream.Collectors;

/** A model that breaks one or more verifier rules; the message lists them all. */
public final class VerificationException extends RuntimeException {
    private final List<Diagnostic> diagnostics;

    public VerificationException(List<Diagnostic> diagnostics) {
        super(diagnostics.size() + " problem" + (diagnostics.size() == 1 ? "" : "s") + ":\n  "
                + diagnostics.stream().map(Diagnostic::toString).collect(Collectors.joining("\n  ")));
        this.diagnostics = List.copyOf(diagnostics);
    }

    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }
}
