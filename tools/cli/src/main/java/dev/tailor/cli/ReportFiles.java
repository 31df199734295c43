package dev.tailor.cli;

import dev.tailor.report.ReportFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a rendered report to stdout, or atomically to a file (a temporary file renamed into place). */
final class ReportFiles {
    private ReportFiles() {}

    static void write(PrintWriter stdout, Path file, String text) throws IOException {
        if (file == null) {
            stdout.print(text);
            stdout.flush();
            return;
        }
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
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
