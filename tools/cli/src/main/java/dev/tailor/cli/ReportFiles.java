package dev.tailor.cli;

import dev.tailor.compiler.io.AtomicFiles;
import dev.tailor.report.ReportFormat;
import java.io.PrintWriter;
import java.nio.file.Path;

/** Writes a rendered report to stdout, or atomically to a file (a temporary file renamed into place). */
final class ReportFiles {
    private ReportFiles() {}

    static void write(PrintWriter stdout, Path file, String text) {
        if (file == null) {
            stdout.print(text);
            stdout.flush();
            return;
        }
        AtomicFiles.writeString(file, text);
    }

    /** The format of a report file by its extension; a usage error for any other name. */
    static ReportFormat formatOf(Path file) {
        ReportFormat f = ReportFormat.forFile(file);
        if (f == null)
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, file + ": the report format follows the extension: "
                    + ".txt, .json, .md or .html");
        return f;
    }
}
