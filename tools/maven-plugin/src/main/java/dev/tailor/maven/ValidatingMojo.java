package dev.tailor.maven;

import dev.tailor.report.DiffReport;
import dev.tailor.runtime.Compilation;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.Validator;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * The goals that run a model against its reference on ONNX Runtime: the validation data, the execution provider
 * and the thresholds a model must meet.
 */
abstract class ValidatingMojo extends TailorMojo {

    /**
     * Data to validate on: a text file (one sentence per line, with the tokenizer), an .npy/.npz file or a folder
     * of .pb tensors. Without it, synthetic inputs made from the model's input types.
     */
    @Parameter(property = "tailor.validationData")
    File validationData;

    /** Lines of a text validation file: FROM..TO, FROM.., N, or calibration / evaluation (the shared corpus's split). */
    @Parameter(property = "tailor.validationLines")
    String validationLines;

    /** Validation batches used at most (0: all the data holds; synthetic data makes 4). */
    @Parameter(property = "tailor.validationBatches", defaultValue = "0")
    int validationBatches;

    /** A Hugging Face tokenizer.json for text data; a bundled model (@minilm) brings its own. */
    @Parameter(property = "tailor.tokenizer")
    File tokenizer;

    /** Rows per batch (0: as stored; 8 sentences for text). */
    @Parameter(property = "tailor.batchSize", defaultValue = "0")
    int batchSize;

    /** Text is truncated to this many tokens. */
    @Parameter(property = "tailor.maxLength", defaultValue = "128")
    int maxLength;

    /** Where ONNX Runtime runs the models: auto (CUDA when it works, else the CPU), cpu or cuda. */
    @Parameter(property = "tailor.executionProvider", defaultValue = "auto")
    String executionProvider;

    /** Floor of every output's cosine similarity to the reference's. */
    @Parameter(property = "tailor.minCosine", defaultValue = "0.98")
    Double minCosine;

    /** Ceiling of every output's largest absolute difference from the reference's (not checked when unset). */
    @Parameter(property = "tailor.maxAbsError")
    Double maxAbsError;

    /** Floor of top-1 agreement for logits outputs. */
    @Parameter(property = "tailor.minTop1", defaultValue = "0.9")
    Double minTop1;

    /** Floor of every sentence's mean-pooled embedding cosine (embedding models: a [batch, sequence, hidden] output). */
    @Parameter(property = "tailor.minPooledCosine", defaultValue = "0.98")
    Double minPooledCosine;

    /** The validation settings, checked; call before any work so that a typo fails at once. */
    final Validation checkValidation() throws MojoFailureException {
        ExecutionProvider ep;
        try {
            ep = ExecutionProvider.parse(executionProvider.strip());
        } catch (IllegalArgumentException e) {
            throw UserErrors.parameter("executionProvider", "'" + executionProvider + "' is not an execution provider",
                    "use auto, cpu or cuda");
        }
        checkBound("minCosine", minCosine, -1, 1);
        checkBound("minPooledCosine", minPooledCosine, -1, 1);
        checkBound("minTop1", minTop1, 0, 1);
        checkBound("maxAbsError", maxAbsError, 0, Double.MAX_VALUE);
        DataRequest data = DataRequest.check("validationData", resolve(validationData), "validationLines",
                validationLines, "validationBatches", validationBatches, resolve(tokenizer), batchSize, maxLength);
        return new Validation(data, ep, new Validator.Thresholds(minCosine, maxAbsError, minTop1, minPooledCosine));
    }

    private static void checkBound(String name, Double value, double min, double max) throws MojoFailureException {
        if (value != null && !(value >= min && value <= max))
            throw UserErrors.parameter(name, "is " + value, max == Double.MAX_VALUE ? "use 0 or more"
                    : "use a value from " + (long) min + " to " + (long) max);
    }

    /** Checked validation settings. */
    record Validation(DataRequest data, ExecutionProvider provider, Validator.Thresholds thresholds) {
        void addTo(Fingerprint.Builder f, Path defaultTokenizer) {
            data.addTo(f, "validation.data", defaultTokenizer);
            f.put("validation.thresholds", thresholds);
            f.put("validation.executionProvider", provider);
        }
    }

    /** The validation as {@link Compilation} runs it. */
    static Compilation.Validation forCompilation(Validation v, Path defaultTokenizer) {
        return new Compilation.Validation(Sessions.Options.of(v.provider()), v.thresholds(), v.data().path(),
                v.data().options(defaultTokenizer));
    }

    /** Logs how far the candidate moved, output by output. */
    final void log(Validator.Report r, String inputs, boolean synthetic) {
        if (synthetic) getLog().warn("Validated on synthetic inputs; set <validationData> to measure on real data");
        r.notices().forEach(n -> getLog().info(n));
        getLog().info(String.format(Locale.ROOT, "Validation on %s, %s: %s", r.provider(), inputs,
                r.passed() ? "passed" : "FAILED"));
        for (Validator.OutputMetrics m : r.outputs()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "  %s: cosine %.6f, max abs error %.4g, mean abs error %.4g", m.name(), m.cosine(), m.maxAbsError(),
                    m.meanAbsError()));
            if (m.top1Agreement() != null) line.append(String.format(Locale.ROOT, ", top-1 %.3f", m.top1Agreement()));
            if (m.pooledCosineMin() != null)
                line.append(String.format(Locale.ROOT, ", pooled cosine mean %.5f min %.5f", m.pooledCosineMean(),
                        m.pooledCosineMin()));
            getLog().info(line);
        }
        if (!r.cpuNodes().isEmpty()) getLog().warn("Nodes that fell back to the CPU: " + String.join(", ", r.cpuNodes()));
    }

    /** The report's output comparisons from a validation. */
    static List<DiffReport.OutputComparison> comparisons(Validator.Report r) {
        return r.outputs().stream().map(o -> new DiffReport.OutputComparison(o.name(), o.elements(), o.maxAbsError(),
                o.meanAbsError(), o.relativeL2(), o.cosine())).toList();
    }

    /** The build's failure for a model that missed its thresholds. */
    static MojoFailureException missed(String what, Validator.Report r) {
        return new MojoFailureException(what + " failed validation: " + String.join("; ", r.failures())
                + "; change the pipeline, or relax <minCosine>, <maxAbsError>, <minTop1> or <minPooledCosine>");
    }
}
