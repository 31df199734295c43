package dev.tailor.compiler.onnx;

import dev.tailor.compiler.ir.MappedData;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves ONNX external-data references against the model's folder. A location must be a relative path that
 * stays inside that folder (after resolving symbolic links), and each region must lie within its file:
 * anything else is refused with a {@link ModelFormatException}.
 */
public final class ExternalDataResolver {
    private final Path modelFile;
    private final Path folder;
    private final Map<Path, FileChannel> channels = new HashMap<>();

    /** Resolves locations relative to {@code folder}; errors name {@code modelFile}. */
    public ExternalDataResolver(Path modelFile, Path folder) {
        this.modelFile = modelFile;
        this.folder = folder;
    }

    /**
     * The region of {@code location} at the given offset and length (null: 0, and the rest of the file), checked
     * to lie inside the folder and the file, and to hold {@code expected} bytes (unless negative).
     */
    public MappedData resolve(String element, String location, String offsetText, String lengthText, long expected) {
        if (location == null || location.isEmpty())
            throw error(element, "external data has no 'location' entry");
        if (folder == null)
            throw error(element, "uses external data file '" + location
                    + "', but the model was read from memory; read it from its file instead");
        Path rel;
        try {
            rel = Path.of(location);
        } catch (InvalidPathException e) {
            throw error(element, "external data location '" + location + "' is not a valid path");
        }
        if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\"))
            throw error(element, "external data location '" + location
                    + "' is absolute; it must be a path relative to the model's folder");
        Path base = folder.toAbsolutePath().normalize();
        Path file = base.resolve(rel).normalize();
        if (!file.startsWith(base))
            throw error(element, "external data location '" + location + "' leaves the model's folder " + base);
        if (!Files.exists(file))
            throw error(element, "external data file '" + location + "' not found (looked for " + file + ")");
        if (!Files.isRegularFile(file))
            throw error(element, "external data location '" + location + "' is not a regular file");
        try {
            Path realBase = base.toRealPath();
            if (!file.toRealPath().startsWith(realBase))
                throw error(element, "external data location '" + location
                        + "' resolves, through a symbolic link, to a file outside the model's folder");
        } catch (IOException e) {
            throw error(element, "cannot resolve external data file " + file + ": " + e.getMessage());
        }
        FileChannel channel = channels.computeIfAbsent(file, f -> {
            try {
                return FileChannel.open(f, StandardOpenOption.READ);
            } catch (IOException e) {
                throw error(element, "cannot open external data file " + f + ": " + e.getMessage());
            }
        });
        long size;
        try {
            size = channel.size();
        } catch (IOException e) {
            throw error(element, "cannot read external data file " + file + ": " + e.getMessage());
        }
        long offset = parse(element, "offset", offsetText, 0);
        long length = parse(element, "length", lengthText, size - Math.min(offset, size));
        if (offset > size || length > size - offset)
            throw error(element, "external data region [offset " + offset + ", length " + length + "] lies beyond the end of '"
                    + location + "' (" + size + " bytes)");
        if (expected >= 0 && length != expected)
            throw error(element, "external data holds " + length + " bytes, but the tensor's type and shape need "
                    + expected);
        return new MappedData(channel, file, offset, length);
    }

    private long parse(String element, String key, String text, long absent) {
        if (text == null) return absent;
        try {
            long v = Long.parseLong(text.trim());
            if (v < 0) throw error(element, "external data " + key + " " + v + " is negative");
            return v;
        } catch (NumberFormatException e) {
            throw error(element, "external data " + key + " '" + text + "' is not a number");
        }
    }

    private ModelFormatException error(String element, String problem) {
        return new ModelFormatException(modelFile, element, problem);
    }
}
