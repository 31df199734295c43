package dev.tailor.compiler.pass;

import dev.tailor.compiler.analysis.Diagnostic;
import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs pipelines. It times every pass, collects each pass's report, runs fixed-point groups until they settle,
 * and, when verification is on, checks the IR after every pass, so a pass that breaks it is named at once rather
 * than three passes later. Verification is on in tests (system property {@code tailor.verifyEach=true}, set by
 * the build) and with the command line's {@code --verify-each}.
 */
public final class PassManager {
    private final boolean verifyEach;

    public PassManager(boolean verifyEach) {
        this.verifyEach = verifyEach;
    }

    /** A manager that verifies after each pass when {@code tailor.verifyEach} is true. */
    public static PassManager fromSystemProperties() {
        return new PassManager(Boolean.getBoolean("tailor.verifyEach"));
    }

    public boolean verifyEach() {
        return verifyEach;
    }

    /** Runs {@code pipeline} over {@code model} in place and returns the reports of every pass run, in order. */
    public List<PassReport> run(Model model, Pipeline pipeline, PassContext context) {
        PassContext ctx = context.target() == pipeline.target() ? context
                : context.toBuilder().target(pipeline.target()).build();
        List<PassReport> reports = new ArrayList<>();
        if (verifyEach) verify(model, "the input model");
        runSteps(model, pipeline.steps(), ctx, reports);
        return reports;
    }

    private boolean runSteps(Model model, List<Pipeline.Step> steps, PassContext ctx, List<PassReport> reports) {
        boolean modified = false;
        for (Pipeline.Step step : steps) {
            if (step instanceof Pipeline.PassStep p) {
                modified |= runPass(model, p, ctx, reports);
            } else {
                Pipeline.FixpointStep f = (Pipeline.FixpointStep) step;
                for (int round = 0; round < f.max(); round++) {
                    if (!runSteps(model, f.steps(), ctx, reports)) break;
                    modified = true;
                }
            }
        }
        return modified;
    }

    private boolean runPass(Model model, Pipeline.PassStep step, PassContext ctx, List<PassReport> reports) {
        Pass pass = step.instantiate();
        long t0 = System.nanoTime();
        PassResult result = pass.run(model, ctx);
        long nanos = System.nanoTime() - t0;
        PassReport report = new PassReport(step.spec().name(), step.toString(), nanos, result);
        reports.add(report);
        ctx.reports().accept(report);
        if (verifyEach) verify(model, "pass '" + step + "'");
        return result.isModified();
    }

    private static void verify(Model model, String after) {
        List<Diagnostic> problems = Verifier.verify(model);
        if (!problems.isEmpty())
            throw new PassException(after.startsWith("pass") ? after.substring(6, after.length() - 1) : "input",
                    (after.startsWith("pass") ? "left the model broken" : "the model is not well formed") + ": "
                            + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "\n  "
                            + problems.stream().limit(20).map(Diagnostic::toString)
                            .collect(Collectors.joining("\n  ")));
    }
}
