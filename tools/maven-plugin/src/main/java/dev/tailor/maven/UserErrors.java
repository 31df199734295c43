package dev.tailor.maven;

import dev.tailor.compiler.analysis.VerificationException;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PipelineException;
import dev.tailor.runtime.CompilationException;
import dev.tailor.runtime.ExecutionProviderException;
import dev.tailor.runtime.data.DataException;
import java.io.UncheckedIOException;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;

/**
 * Where the plugin's failures get their Maven form: a mistake in the build's configuration or input is a
 * {@link MojoFailureException} whose message names the parameter (with its {@code tailor.*} property), what is
 * wrong and what to do; a bug in Tailor is a {@link MojoExecutionException} with the cause attached.
 */
final class UserErrors {
    private UserErrors() {}

    /** A bad parameter: {@code <name> (tailor.property): problem; hint}. */
    static MojoFailureException parameter(String name, String problem, String hint) {
        return new MojoFailureException("<" + name + "> (tailor." + name + "): " + problem + "; " + hint);
    }

    /**
     * The library's own failures, whose messages already name the file, element or pipeline position: the
     * user's input is wrong unless the exception says Tailor itself broke the model.
     */
    static Exception translate(RuntimeException e) {
        if (isUserError(e)) return new MojoFailureException(e.getMessage(), e);
        return new MojoExecutionException("internal error in Tailor: " + e
                + " (please report it; run Maven with -e for the stack trace)", e);
    }

    private static boolean isUserError(RuntimeException e) {
        if (e instanceof VerificationException) return false;
        if (e instanceof PassException p)
            return p.getCause() == null && !p.getMessage().contains("left the model broken");
        return e instanceof ModelFormatException || e instanceof PipelineException || e instanceof DataException
                || e instanceof ExecutionProviderException || e instanceof CompilationException
                || e instanceof UncheckedIOException;
    }
}
