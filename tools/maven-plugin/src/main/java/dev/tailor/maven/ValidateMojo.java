package dev.tailor.maven;

import dev.tailor.compiler.ir.Model;
import dev.tailor.report.DiffReport;
import dev.tailor.report.GraphDiff;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.Dataset;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Runs a model and its reference on the same inputs on ONNX Runtime and fails the build when the model misses a
 * threshold; writes a diff report with the output metrics. With the same configuration as the compile goal it
 * checks compile's output against compile's source.
 */
@Mojo(name = "validate", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public final class ValidateMojo extends ValidatingMojo {

    /** The reference: an .onnx (or .onnxtxt) file, relative to the project folder, or a bundled model (@minilm). */
    @Parameter(property = "tailor.model")
    String model;

    /** The model to check: a file (by default compile's output) or a bundled model. */
    @Parameter(property = "tailor.output", defaultValue = "${project.build.outputDirectory}/tailor/model.onnx")
    String output;

    @Override
    void run() throws MojoFailureException {
        ModelArgument reference = ModelArgument.resolve("model", model, basedir.toPath());
        ModelArgument candidate = ModelArgument.resolve("output", output, basedir.toPath());
        ReportFiles reports = ReportFiles.check(reportFormats);
        Validation v = checkValidation();

        Model ref = reference.read();
        Model cand = candidate.read();
        Dataset inputs = v.data().open(ref, reference.tokenizer());
        Validator.Report r = Validator.validate(ref, cand, inputs.batches(), Sessions.Options.of(v.provider()),
                v.thresholds());
        log(r, inputs.description(), v.data().path() == null);
        DiffReport diff = GraphDiff.compare(reference.spec(), ref, label(candidate), cand).withOutputs(comparisons(r));
        List<Path> written = reports.write(diff, reportDirectory.toPath(), stem(candidate.file()) + ".validation");
        logReports(written);
        if (!r.passed()) throw missed(label(candidate), r);
    }

    /** A bundled model as written, a file relative to the project. */
    private String label(ModelArgument m) {
        return m.bundled() != null ? m.spec() : shown(m.file());
    }
}
