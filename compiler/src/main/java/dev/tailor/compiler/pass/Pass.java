package dev.tailor.compiler.pass;

import dev.tailor.compiler.ir.Model;

/**
 * A transformation of a model. A pass is one class, annotated with {@link PassDef} (name and summary) and with
 * {@link Option} on the fields that configure it; those declarations are the single source for the pipeline
 * language, {@code tailor passes}, the Maven plugin and the docs. Passes are found with {@link java.util.ServiceLoader}
 * (list them in {@code META-INF/services/dev.tailor.compiler.pass.Pass}) and need a public no-argument
 * constructor; the pass manager makes one instance per pipeline step and sets its options before running it.
 */
public interface Pass {

    /**
     * Rewrites {@code model} in place.
     *
     * @return whether anything changed, and what the pass measured
     */
    PassResult run(Model model, PassContext context);
}
