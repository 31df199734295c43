package dev.tailor.compiler.text;

import dev.tailor.compiler.onnx.ModelFormatException;
import java.nio.file.Path;

/**
 * An ONNX text that does not read: a syntax error, an unknown name, a value of the wrong kind. The message is
 * {@code file:line:column: problem}, then the offending line with a caret under the column.
 */
public final class TextSyntaxException extends ModelFormatException {
    private final int line;
    private final int column;
    private final String sourceLine;

    TextSyntaxException(Path file, int line, int column, String sourceLine, String problem) {
        super(file, "line " + line + ", column " + column, problem);
        this.line = line;
        this.column = column;
        this.sourceLine = sourceLine;
    }

    /** 1-based line. */
    public int line() {
        return line;
    }

    /** 1-based column (in characters). */
    public int column() {
        return column;
    }

    /** The text of the offending line. */
    public String sourceLine() {
        return sourceLine;
    }

    @Override
    public String getMessage() {
        StringBuilder caret = new StringBuilder("  ");
        for (int i = 0; i < column - 1 && i < sourceLine.length(); i++)
            caret.append(sourceLine.charAt(i) == '\t' ? '\t' : ' ');
        return (file() == null ? "<text>" : file().toString()) + ":" + line + ":" + column + ": " + problem()
                + "\n  " + sourceLine + "\n" + caret + "^";
    }
}
