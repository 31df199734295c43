package dev.tailor.runtime;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.ModelFiles;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.Pipeline;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.compiler.pass.Progress;
import dev.tailor.compiler.pass.Target;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One compilation, as the {@code tailor} command and the Maven plugin run it: read a model, parse and check the
 * pipeline (before anything runs), run it with an ONNX Runtime evaluator, calibration data, the target, and the
 * caller's progress and report sinks, write the result atomically, and optionally prove it on ONNX Runtime against
 * the input with the {@link Validator}. Settings are chained; {@link #run()} does the work and may be called again.
 *
 * <pre>{@code
 * Compilation.Result r = new Compilation(Path.of("model.onnx"))
 *         .pipeline("prune(count=2) | quantize(mode=int8_dynamic)")
 *         .output(Path.of("out.onnx"))
 *         .calibration(Path.of("sentences.txt"), DataOptions.DEFAULTS.withTokenizer(tokenizer))
 *         .validate(Compilation.Validation.defaults())
 *         .run();
 * }</pre>
 *
 * The input file is never changed (writing over it is safe). A diff report is the caller's business: the result
 * holds the original and the compiled model for it.
 */
public final class Compilation {

    /**
     * How to prove the result: the session (execution provider, CPU fallback), the pass criteria, and the inputs
     * ({@code inputs} null: synthetic data from the model's input types).
     */
    public record Validation(Sessions.Options session, Validator.Thresholds thresholds, Path inputs,
                             DataOptions data) {
        public Validation {
            Objects.requireNonNull(session, "session");
            Objects.requireNonNull(thresholds, "thresholds");
            if (data == null) data = DataOptions.DEFAULTS;
        }

        /** The automatic execution provider, the default thresholds, synthetic inputs. */
        public static Validation defaults() {
            return new Validation(Sessions.Options.of(ExecutionProvider.AUTO), Validator.Thresholds.defaults(), null,
                    DataOptions.DEFAULTS);
        }
    }

    /**
     * What a compilation did. {@code original} is the input as read (the passes changed a copy), {@code compiled}
     * the written file read back; {@code calibration} describes the data the passes saw ("none" without any);
     * {@code validation} and {@code validationInputs} are null when no validation was asked for.
     */
    public record Result(Path input, Path output, Pipeline pipeline, Model original, Model compiled,
                         List<PassReport> passes, long inputBytes, OnnxWriter.Result written, String calibration,
                         Validator.Report validation, String validationInputs) {
        public long outputBytes() {
            return written.modelBytes() + written.dataBytes();
        }

        public double passMillis() {
            return passes.stream().mapToDouble(PassReport::millis).sum();
        }

        /** True unless a validation ran and failed. */
        public boolean passed() {
            return validation == null || validation.passed();
        }
    }

    private final Path input;
    private String pipelineText;
    private String pipelineSource = "pipeline";
    private Path pipelineFile;
    private Path output;
    private Target target;
    private boolean verifyEach = Boolean.getBoolean("tailor.verifyEach");
    private OnnxWriter.Options writeOptions = OnnxWriter.Options.defaults();
    private Path calibration;
    private DataOptions calibrationOptions = DataOptions.DEFAULTS;
    private Validation validation;
    private Progress progress = Progress.NONE;
    private Consumer<PassReport> reports = r -> {};

    /** A compilation of the model in {@code input} ({@code .onnx}, or {@code .onnxtxt} for ONNX text). */
    public Compilation(Path input) {
        this.input = Objects.requireNonNull(input, "input");
    }

    /** The pipeline as text; {@code source} names it in error messages ({@code source:line:column}). */
    public Compilation pipeline(String text, String source) {
        this.pipelineText = Objects.requireNonNull(text, "pipeline");
        this.pipelineSource = source;
        this.pipelineFile = null;
        return this;
    }

    public Compilation pipeline(String text) {
        return pipeline(text, "pipeline");
    }

    /** The pipeline from a file (one step per line, {@code #} comments, settings such as {@code target = cuda}). */
    public Compilation pipelineFile(Path file) {
        this.pipelineFile = Objects.requireNonNull(file, "pipeline file");
        this.pipelineText = null;
        return this;
    }

    public Compilation output(Path out) {
        this.output = Objects.requireNonNull(out, "output");
        return this;
    }

    /** The target passes compile for; overrides a {@code target = …} setting of the pipeline. Null: the pipeline's. */
    public Compilation target(Target t) {
        this.target = t;
        return this;
    }

    /** Verify the IR after every pass (names the pass that breaks it); on by default in tests. */
    public Compilation verifyEach(boolean on) {
        this.verifyEach = on;
        return this;
    }

    public Compilation writeOptions(OnnxWriter.Options options) {
        this.writeOptions = Objects.requireNonNull(options, "write options");
        return this;
    }

    /**
     * Calibration data for the passes that calibrate or score (see {@link DataSources} for the formats); without
     * it, such passes make synthetic inputs and say so.
     */
    public Compilation calibration(Path data, DataOptions options) {
        this.calibration = data;
        this.calibrationOptions = options == null ? DataOptions.DEFAULTS : options;
        return this;
    }

    /** Validate the written model against the input on ONNX Runtime; null: no validation. */
    public Compilation validate(Validation v) {
        this.validation = v;
        return this;
    }

    /** Where long passes and the validation say how far they are. */
    public Compilation progress(Progress p) {
        this.progress = p == null ? Progress.NONE : p;
        return this;
    }

    /** Receives each pass's report as soon as the pass finishes. */
    public Compilation reports(Consumer<PassReport> sink) {
        this.reports = sink == null ? r -> {} : sink;
        return this;
    }

    /**
     * Parses and checks the pipeline without running it: its errors (unknown pass or option, a bad value) point
     * at {@code source:line:column}.
     */
    public Pipeline parsePipeline() {
        if (pipelineText == null && pipelineFile == null)
            throw new CompilationException("no pipeline: give one inline or as a file");
        PipelineParser parser = new PipelineParser(PassRegistry.load());
        Pipeline p;
        if (pipelineFile != null) {
            try {
                p = parser.parse(Files.readString(pipelineFile), pipelineFile.toString());
            } catch (NoSuchFileException e) {
                throw new CompilationException(pipelineFile + ": no such pipeline file");
            } catch (IOException e) {
                throw new CompilationException(pipelineFile + ": cannot read the pipeline file: " + e.getMessage(), e);
            }
        } else {
            p = parser.parse(pipelineText, pipelineSource);
        }
        return target == null ? p : new Pipeline(target, p.steps());
    }

    /** Runs the compilation: everything that can be checked is checked before the passes start. */
    public Result run() {
        if (output == null) throw new CompilationException("no output file: say where to write the result");
        if (Files.isDirectory(output))
            throw new CompilationException(output + ": is a folder; give the output a file name");
        Pipeline pipeline = parsePipeline();
        if (!Files.isRegularFile(input)) throw new CompilationException(input + ": no such model file");
        Model original = ModelFiles.read(input);
        Model model = ModelFiles.read(input);
        Dataset data = calibration == null ? null : DataSources.open(calibration, original, calibrationOptions);
        Dataset validationData = validation == null ? null
                : DataSources.open(validation.inputs(), original, validation.data());

        PassContext.Builder ctx = PassContext.builder().evaluator(new OrtEvaluator()).target(pipeline.target())
                .progress(progress).reports(reports);
        if (data != null) ctx.calibration(data);
        List<PassReport> passes = new PassManager(verifyEach).run(model, pipeline, ctx.build());
        OnnxWriter.Result written = OnnxWriter.write(model, output, writeOptions);
        // What was written is what gets proved and reported: read it back (mapped, so nothing is copied).
        Model compiled = OnnxReader.read(written.model());

        Validator.Report report = null;
        if (validation != null) {
            progress.begin("validating on ONNX Runtime (" + validationData.size() + " batches)", 0);
            try {
                report = Validator.validate(original, compiled, validationData.batches(), validation.session(),
                        validation.thresholds());
            } finally {
                progress.end();
            }
        }
        return new Result(input, written.model(), pipeline, original, compiled, passes, size(input), written,
                data == null ? "none" : data.description(), report,
                validationData == null ? null : validationData.description());
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
