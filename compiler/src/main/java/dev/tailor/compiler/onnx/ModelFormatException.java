package dev.tailor.compiler.onnx;

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

    private static String format(Path file, String element, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<memory>" : file.toString()).append(": ");
        if (element != null) sb.append(element).append(": ");
        return sb.append(problem).toString();
    }
}
