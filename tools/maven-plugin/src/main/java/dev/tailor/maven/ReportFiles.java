package dev.tailor.maven;

import dev.tailor.compiler.io.AtomicFiles;
import dev.tailor.report.DiffReport;
import dev.tailor.report.ReportFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;

/** The report formats a goal was asked for, and the files it writes them to. */
record ReportFiles(List<ReportFormat> formats) {

    /** Parses the {@code reportFormats} parameter: text, json, markdown (md), html; "none" or empty for no reports. */
    static ReportFiles check(List<String> names) throws MojoFailureException {
        List<ReportFormat> formats = new ArrayList<>();
        for (String n : names == null ? List.<String>of() : names) {
            for (String part : n.split(",")) {
                String s = part.strip();
                if (s.isEmpty() || s.equalsIgnoreCase("none")) continue;
                try {
                    ReportFormat f = ReportFormat.parse(s);
                    if (!formats.contains(f)) formats.add(f);
                } catch (IllegalArgumentException e) {
                    throw UserErrors.parameter("reportFormats", "unknown report format '" + s + "'",
                            "use text, json, markdown or html (or none)");
                }
            }
        }
        return new ReportFiles(formats);
    }

    /** Writes {@code report} as {@code folder/name.EXT} in each format; returns the files written. */
    List<Path> write(DiffReport report, Path folder, String name) {
        List<Path> written = new ArrayList<>();
        for (ReportFormat f : formats) {
            Path file = folder.resolve(name + "." + f.extension());
            AtomicFiles.writeString(file, f.render(report));
            written.add(file);
        }
        return written;
    }
}
