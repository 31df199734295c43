package dev.tailor.maven;

import dev.tailor.compiler.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Everything a compiled model depends on, as named entries (the source model's bytes, the pipeline, the
 * calibration data, the settings, the plugin's version), each a short text or a SHA-256 of file contents. Two
 * builds with equal fingerprints produce the same model, so the second can skip compiling. Stored as
 * {@code key=value} lines; entries keep the order they were added in, so that the file reads well and the first
 * changed entry is the one reported.
 */
record Fingerprint(Map<String, String> entries) {
    Fingerprint {
        entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    static Builder builder() {
        return new Builder();
    }

    /** The keys whose values differ between this fingerprint and {@code stored} (or that only one of them has). */
    List<String> changedSince(Fingerprint stored) {
        List<String> changed = new ArrayList<>();
        for (Map.Entry<String, String> e : entries.entrySet())
            if (!Objects.equals(e.getValue(), stored.entries.get(e.getKey()))) changed.add(e.getKey());
        for (String k : stored.entries.keySet()) if (!entries.containsKey(k)) changed.add(k);
        return changed;
    }

    /** This fingerprint with one more entry. */
    Fingerprint with(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(entries);
        m.put(key, value);
        return new Fingerprint(m);
    }

    /** Writes the file atomically, so that an interrupted build never leaves a fingerprint for half an output. */
    void write(Path file) {
        AtomicFiles.writeString(file, "# Tailor: what the compiled model was made from (delete to recompile)\n"
                + text());
    }

    /** SHA-256 of all entries, in hex: one value that changes when any entry does. */
    String sha256() {
        return HexFormat.of().formatHex(sha256Digest().digest(text().getBytes(StandardCharsets.UTF_8)));
    }

    private String text() {
        StringBuilder sb = new StringBuilder();
        entries.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\n", "\\n")).append('\n'));
        return sb.toString();
    }

    /** The fingerprint stored in {@code file}, or null when there is none or it cannot be read. */
    static Fingerprint read(Path file) {
        if (!Files.isRegularFile(file)) return null;
        Map<String, String> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank() || line.startsWith("#")) continue;
                int eq = line.indexOf('=');
                if (eq <= 0) return null;
                m.put(line.substring(0, eq), line.substring(eq + 1).replace("\\n", "\n"));
            }
        } catch (IOException e) {
            return null;
        }
        return new Fingerprint(m);
    }

    /** SHA-256 of a file's bytes, in hex. */
    static String hashFile(Path file) {
        MessageDigest d = sha256Digest();
        update(d, file);
        return HexFormat.of().formatHex(d.digest());
    }

    /**
     * SHA-256 of a file, or of a folder's regular files (their paths relative to it, sorted, and their bytes), so
     * that renaming, adding or changing any file of a data folder changes the hash.
     */
    static String hashTree(Path path) {
        if (!Files.isDirectory(path)) return hashFile(path);
        MessageDigest d = sha256Digest();
        try (Stream<Path> files = Files.walk(path)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                d.update(path.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
                update(d, f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot read: " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static void update(MessageDigest d, Path file) {
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) d.update(buffer, 0, n);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Collects entries in order; a null value is written as "none", so that an unset option is an entry too. */
    static final class Builder {
        private final Map<String, String> entries = new LinkedHashMap<>();

        Builder put(String key, Object value) {
            entries.put(key, value == null ? "none" : value.toString());
            return this;
        }

        /** The hash of a file or folder, or "none" for a null path. */
        Builder putContent(String key, Path path) {
            return put(key, path == null ? null : hashTree(path));
        }

        Fingerprint build() {
            return new Fingerprint(entries);
        }
    }
}
