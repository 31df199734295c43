package dev.tailor.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The log file of an internal error: the command line, the version, the Java runtime and the stack trace, in
 * {@code $TAILOR_LOG_DIR}, else {@code ~/.cache/tailor/logs}, so that a bug report can carry it.
 */
final class ErrorLog {
    private ErrorLog() {}

    /** Writes the log and returns its path, or null when it cannot be written. */
    static Path write(Throwable e, List<String> args) {
        StringWriter trace = new StringWriter();
        try (PrintWriter w = new PrintWriter(trace)) {
            w.println("command: tailor" + (args == null ? "" : " " + String.join(" ", args)));
            w.println("version: tailor " + Main.Version.version());
            w.println("java:    " + System.getProperty("java.version") + " " + System.getProperty("java.vendor")
                    + ", " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            w.println("time:    " + LocalDateTime.now());
            w.println();
            e.printStackTrace(w);
        }
        try {
            Path dir = folder();
            Files.createDirectories(dir);
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path log = Files.createTempFile(dir, "tailor-" + stamp + "-", ".log");
            Files.writeString(log, trace.toString(), StandardCharsets.UTF_8);
            return log;
        } catch (IOException | RuntimeException failed) {
            return null;
        }
    }

    private static Path folder() {
        String env = System.getenv("TAILOR_LOG_DIR");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "tailor", "logs");
    }
}
