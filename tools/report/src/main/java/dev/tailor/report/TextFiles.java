package dev.tailor.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Text written the way reports are: to a temporary file renamed into place, so that no reader sees half a file. */
public final class TextFiles {
    private TextFiles() {}

    /** Writes {@code text} as UTF-8 to {@code file}, creating its folder; an old file stays whole until replaced. */
    public static void writeAtomically(Path file, String text) {
        Path abs = file.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(abs + ": cannot write: " + e.getMessage(), e);
        }
    }
}
