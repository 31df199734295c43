package dev.tailor.maven;

import dev.tailor.report.DiffReport;
import dev.tailor.report.GraphDiff;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Writes a report of what changed between two models: nodes added, removed and changed per op type,
 * initializers, parameters, estimated FLOPs per token, and the block map where both have an anatomy.
 */
@Mojo(name = "diff", threadSafe = true)
public final class DiffMojo extends TailorMojo {

    /** The model before: a file, relative to the project folder, or a bundled model (@minilm). */
    @Parameter(property = "tailor.before")
    String before;

    /** The model after. */
    @Parameter(property = "tailor.after")
    String after;

    /** The reports' file name, without extension. */
    @Parameter(property = "tailor.reportName", defaultValue = "diff")
    String reportName;

    @Override
    void run() throws MojoFailureException {
        ModelArgument a = ModelArgument.resolve("before", before, basedir.toPath());
        ModelArgument b = ModelArgument.resolve("after", after, basedir.toPath());
        ReportFiles reports = ReportFiles.check(reportFormats);
        if (reports.formats().isEmpty())
            throw UserErrors.parameter("reportFormats", "is none", "a diff is only a report: name a format");
        if (reportName == null || reportName.isBlank() || reportName.contains("/") || reportName.contains("\\"))
            throw UserErrors.parameter("reportName", "'" + reportName + "' is not a file name", "give a name such "
                    + "as 'diff'; reports go to <reportDirectory>");
        DiffReport diff = GraphDiff.compare(a.spec(), a.read(), b.spec(), b.read());
        List<Path> written = reports.write(diff, reportDirectory.toPath(), reportName);
        getLog().info(String.format("%s -> %s: %d -> %d nodes (%d added, %d removed, %d changed)", a, b,
                diff.before().nodes(), diff.after().nodes(), diff.count(DiffReport.Kind.ADDED),
                diff.count(DiffReport.Kind.REMOVED), diff.count(DiffReport.Kind.CHANGED)));
        logReports(written);
    }
}
