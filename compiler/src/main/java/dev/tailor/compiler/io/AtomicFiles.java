package dev.tailor.compiler.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How every output is written: to a hidden temporary file in the target's folder, renamed over the target when
 * complete, so a reader never sees half a file and a failed write leaves the old file whole.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * A fresh hidden file next to the target. Unlike Files.createTempFile (mode 0600), it gets the permissions
     * the user's umask gives any new file, which the renamed output keeps.
     */
    public static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()
                    & Long.MAX_VALUE) + ".tmp");
            try {
                return Files.createFile(p);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) throw e;
            }
        }
    }

    /** Renames {@code from} over {@code to}, atomically where the file system can. */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes {@code p} if it is there; a leftover temporary file is harmless, so failures are ignored. */
    public static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Writes {@code text} as UTF-8 to {@code file}, creating its folder. */
    public static void writeString(Path file, String text) {
        Path abs = file.toAbsolutePath();
        Path tmp = null;
        try {
            Files.createDirectories(abs.getParent());
            tmp = createTemp(abs.getParent(), abs.getFileName().toString());
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            move(tmp, abs);
        } catch (IOException e) {
            throw new UncheckedIOException(abs + ": cannot write: " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }
}
