package dev.tailor.maven;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;

/** What every Tailor goal shares: the skip switch, the project folder, the report folder and error handling. */
abstract class TailorMojo extends AbstractMojo {

    /** Skip this goal. */
    @Parameter(property = "tailor.skip", defaultValue = "false")
    boolean skip;

    /** Where reports are written. */
    @Parameter(property = "tailor.reportDirectory", defaultValue = "${project.build.directory}/tailor")
    File reportDirectory;

    /** Report formats: markdown, html, json, text, or none. */
    @Parameter(property = "tailor.reportFormats", defaultValue = "markdown,html,json")
    List<String> reportFormats;

    /** The project folder: relative paths in parameters are resolved against it. */
    @Parameter(defaultValue = "${project.basedir}", readonly = true, required = true)
    File basedir;

    @Override
    public final void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("Skipped (tailor.skip)");
            return;
        }
        try {
            run();
        } catch (RuntimeException e) {
            Exception m = UserErrors.translate(e);
            if (m instanceof MojoFailureException f) throw f;
            throw (MojoExecutionException) m;
        }
    }

    abstract void run() throws MojoExecutionException, MojoFailureException;

    /** A path parameter resolved against the project folder; null stays null. */
    Path resolve(File f) {
        if (f == null) return null;
        return f.isAbsolute() ? f.toPath() : basedir.toPath().resolve(f.toPath()).normalize();
    }

    /** A path for logs and reports: relative to the project folder when it lies inside it. */
    String shown(Path p) {
        Path base = basedir.toPath().toAbsolutePath();
        Path abs = p.toAbsolutePath();
        return abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
    }

    void logReports(List<Path> written) {
        if (!written.isEmpty()) getLog().info("Reports: " + String.join(", ", written.stream().map(this::shown).toList()));
    }

    /** A file name without its extension: the reports of model.onnx are model.md, model.html, model.json. */
    static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
