package dev.tailor.compiler.onnx;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A model file that Tailor cannot read: not ONNX, truncated, inconsistent, or unsafe. The message names the
 * file, the element (node, tensor, value) and the problem, and is meant to be shown to the user as it is.
 */
public class ModelFormatException extends RuntimeException {
    private final Path file;
    private final String element;
    private final String problem;

    public ModelFormatException(Path file, String element, String problem) {
        this(file, element, problem, null);
    }

    public ModelFormatException(Path file, String element, String problem, Throwable cause) {
        super(format(file, element, problem), cause);
        this.file = file;
        this.element = element;
        this.problem = problem;
    }

    /** The file being read, or null for models read from memory. */
    public Path file() {
        return file;
    }

    /** The offending element, such as {@code node 'Add_3' (Add)}, or null when the problem is the whole file. */
    public String element() {
        return element;
    }

    public String problem() {
        return problem;
    }

    /** A model file that could not be opened or read, said in words (missing, not allowed, a folder, or why). */
    public static ModelFormatException unreadable(Path file, IOException e) {
        if (e instanceof NoSuchFileException) return new ModelFormatException(file, null, "no such file");
        if (e instanceof AccessDeniedException) return new ModelFormatException(file, null, "permission denied");
        if (Files.isDirectory(file)) return new ModelFormatException(file, null, "is a folder, not a model file");
        return new ModelFormatException(file, null, "cannot read: " + e.getMessage(), e);
    }

    private static String format(Path file, String element, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<memory>" : file.toString()).append(": ");
        if (element != null) sb.append(element).append(": ");
        return sb.append(problem).toString();
    }
}
