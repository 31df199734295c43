package dev.tailor.maven;

import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.pass.Pipeline;
import dev.tailor.compiler.pass.Target;
import dev.tailor.report.DiffReport;
import dev.tailor.report.GraphDiff;
import dev.tailor.report.Numbers;
import dev.tailor.runtime.Compilation;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Compiles a model with a pipeline of passes, validates the result against the source on ONNX Runtime, and writes
 * a diff report. Skips the work when nothing it depends on changed since the last successful run (a fingerprint
 * of the model's bytes, the pipeline, the data, the settings and the plugin, kept next to the reports).
 */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.PROCESS_RESOURCES, threadSafe = true)
public final class CompileMojo extends ValidatingMojo {

    /** The source model: an .onnx (or .onnxtxt) file, relative to the project folder, or a bundled model (@minilm). */
    @Parameter(property = "tailor.model")
    String model;

    /** The pipeline, inline: for example {@code prune(count=2) | quantize(mode=int8_dynamic)}. */
    @Parameter(property = "tailor.pipeline")
    String pipeline;

    /** The pipeline from a file: one step per line, '#' comments, settings such as 'target = cuda' first. */
    @Parameter(property = "tailor.pipelineFile")
    File pipelineFile;

    /** Where the compiled model is written (by default inside target/classes, so that it is packaged). */
    @Parameter(property = "tailor.output", defaultValue = "${project.build.outputDirectory}/tailor/model.onnx")
    File output;

    /** The device passes compile for, cpu or cuda; overrides the pipeline's 'target' setting. */
    @Parameter(property = "tailor.target")
    String target;

    /**
     * Calibration data for the passes that calibrate or score (prune, quantize): a text file (one sentence per
     * line, with the tokenizer), an .npy/.npz file or a folder of .pb tensors. Without it, synthetic inputs.
     */
    @Parameter(property = "tailor.calibrationData")
    File calibrationData;

    /** Lines of a text calibration file: FROM..TO, FROM.., N, or calibration / evaluation. */
    @Parameter(property = "tailor.calibrationLines")
    String calibrationLines;

    /** Calibration batches used at most (0: all the data holds). */
    @Parameter(property = "tailor.calibrationBatches", defaultValue = "0")
    int calibrationBatches;

    /** Initializers of at least this many bytes go to an external data file, OUTPUT.data (unset: none). */
    @Parameter(property = "tailor.externalDataThreshold")
    Long externalDataThreshold;

    /** Validate the compiled model against the source and fail the build when it misses the thresholds. */
    @Parameter(property = "tailor.validate", defaultValue = "true")
    boolean validate;

    /** Compile even when the fingerprint says nothing changed. */
    @Parameter(property = "tailor.force", defaultValue = "false")
    boolean force;

    @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
    PluginDescriptor plugin;

    @Override
    void run() throws MojoFailureException {
        // Every parameter is checked before the model is read or anything runs.
        ModelArgument source = ModelArgument.resolve("model", model, basedir.toPath());
        Path out = resolve(output);
        if (Files.isDirectory(out))
            throw UserErrors.parameter("output", out + " is a folder", "give the compiled model a file name");
        if (out.toAbsolutePath().equals(source.file().toAbsolutePath()))
            throw UserErrors.parameter("output", "is the source model " + source, "write the result to another file");
        ReportFiles reports = ReportFiles.check(reportFormats);
        DataRequest calibration = DataRequest.check("calibrationData", resolve(calibrationData), "calibrationLines",
                calibrationLines, "calibrationBatches", calibrationBatches, resolve(tokenizer), batchSize, maxLength);
        Validation validation = validate ? checkValidation() : null;
        if (externalDataThreshold != null && externalDataThreshold < 0)
            throw UserErrors.parameter("externalDataThreshold", "is " + externalDataThreshold, "use 0 bytes or more");
        Compilation compilation = new Compilation(source.file()).output(out).target(checkTarget())
                .writeOptions(OnnxWriter.Options.defaults().withExternalDataThreshold(externalDataThreshold));
        setPipeline(compilation);
        Pipeline parsed = compilation.parsePipeline();

        Path reportFolder = reportDirectory.toPath();
        Path fingerprintFile = reportFolder.resolve(out.getFileName() + ".fingerprint");
        Fingerprint fingerprint = fingerprint(source, parsed, calibration, validation, out);
        String reason = force ? "forced (tailor.force)" : reasonToCompile(fingerprint, fingerprintFile, out);
        if (reason == null) {
            getLog().info("Up to date: " + shown(out) + " (model, pipeline, data, settings and plugin unchanged; "
                    + "-Dtailor.force=true recompiles)");
            return;
        }
        getLog().info("Compiling " + source + " with " + parsed + " (" + reason + ")");

        compilation.calibration(calibration.path(), calibration.options(source.tokenizer()))
                .reports(r -> getLog().info(String.format(Locale.ROOT, "  %-10s %8.1f ms  %s", r.pass(), r.millis(),
                        DiffReport.PassRun.format(r.result().metrics()))));
        if (validation != null) compilation.validate(forCompilation(validation, source.tokenizer()));
        long start = System.nanoTime();
        Compilation.Result result = compilation.run();
        double seconds = (System.nanoTime() - start) / 1e9;

        DiffReport diff = GraphDiff.compare(source.spec(), result.original(), shown(out), result.compiled())
                .withPasses(parsed.toString(), DiffReport.PassRun.of(result.passes()));
        if (result.validation() != null) {
            diff = diff.withOutputs(comparisons(result.validation()));
            log(result.validation(), result.validationInputs(), validation.data().path() == null);
        }
        List<Path> written = reports.write(diff, reportFolder, stem(out));
        getLog().info(String.format(Locale.ROOT, "Compiled %s to %s in %.1f s: %d -> %d nodes, %s -> %s parameters, "
                        + "%s -> %s", source, shown(out), seconds, diff.before().nodes(), diff.after().nodes(),
                Numbers.count(diff.before().parameters()), Numbers.count(diff.after().parameters()),
                Numbers.bytes(result.inputBytes()), Numbers.bytes(result.outputBytes())));
        logReports(written);
        if (!result.passed()) throw missed(shown(out), result.validation());
        withOutput(fingerprint, out).write(fingerprintFile);
    }

    private void setPipeline(Compilation c) throws MojoFailureException {
        boolean inline = pipeline != null && !pipeline.isBlank();
        if (inline == (pipelineFile != null))
            throw UserErrors.parameter("pipeline", inline ? "both <pipeline> and <pipelineFile> are set"
                    : "no pipeline given", "set either <pipeline> (such as 'prune(count=2) | quantize(mode="
                    + "int8_dynamic)') or <pipelineFile>");
        if (inline) {
            c.pipeline(pipeline, "<pipeline>");
            return;
        }
        Path file = resolve(pipelineFile);
        if (!Files.isRegularFile(file))
            throw UserErrors.parameter("pipelineFile", file + ": no such file", "give the path of a pipeline file, "
                    + "relative to the project folder");
        c.pipelineFile(file);
    }

    private Target checkTarget() throws MojoFailureException {
        if (target == null || target.isBlank()) return null;
        try {
            return Target.valueOf(target.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw UserErrors.parameter("target", "'" + target + "' is not a target", "use cpu or cuda");
        }
    }

    /** What the output depends on. The pipeline is its printed form, so that layout and comments do not count. */
    private Fingerprint fingerprint(ModelArgument source, Pipeline parsed, DataRequest calibration,
                                    Validation validation, Path out) {
        Fingerprint.Builder f = Fingerprint.builder().put("plugin", plugin.getVersion());
        if (plugin.getVersion().endsWith("-SNAPSHOT")) f.put("plugin.build", snapshotBuild());
        f.put("model", source.spec()).putContent("model.sha256", source.file());
        for (Path data : externalData(source)) f.putContent("model.data." + data.getFileName(), data);
        f.put("pipeline", parsed);
        calibration.addTo(f, "calibration.data", source.tokenizer());
        f.put("externalDataThreshold", externalDataThreshold);
        if (validation != null) validation.addTo(f, source.tokenizer());
        return f.put("output", out.toAbsolutePath()).build();
    }

    /** Null when the stored fingerprint matches and the output is still what was written; else why to compile. */
    private static String reasonToCompile(Fingerprint now, Path stored, Path out) {
        Fingerprint before = Fingerprint.read(stored);
        if (before == null) return "no earlier build";
        List<String> changed = withOutput(now, out).changedSince(before);
        if (changed.isEmpty()) return null;
        return "changed since the last build: " + String.join(", ", changed);
    }

    /** The fingerprint with the output's own contents, so that a deleted or edited output is compiled again. */
    private static Fingerprint withOutput(Fingerprint f, Path out) {
        Path data = out.resolveSibling(out.getFileName() + ".data");
        Fingerprint g = f.with("output.sha256", Files.isRegularFile(out) ? Fingerprint.hashFile(out) : "missing");
        return Files.isRegularFile(data) ? g.with("output.data.sha256", Fingerprint.hashFile(data)) : g;
    }

    /** The files of external data that the model's initializers are read from (besides the model file). */
    private static TreeSet<Path> externalData(ModelArgument source) {
        TreeSet<Path> files = new TreeSet<>();
        if (source.bundled() != null) return files;
        Graph g = source.read().graph();
        for (Value v : g.initializers())
            if (v.initializer().data() instanceof MappedData m
                    && !m.file().toAbsolutePath().normalize().equals(source.file().toAbsolutePath().normalize()))
                files.add(m.file());
        return files;
    }

    /** A development version is rebuilt under one name: its jars' contents tell one build from another. */
    private String snapshotBuild() {
        Fingerprint.Builder f = Fingerprint.builder();
        for (Artifact a : plugin.getArtifacts())
            if (a.getGroupId().equals("dev.tailor") && a.getFile() != null)
                f.putContent(a.getArtifactId(), a.getFile().toPath());
        return f.build().sha256();
    }
}
