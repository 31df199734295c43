package dev.tailor.compiler.pass;

/**
 * A pipeline that does not parse or does not type-check. The message gives {@code source:line:column}, the
 * problem, and the offending line with a caret under the column.
 */
public final class PipelineException extends RuntimeException {
    private final String source;
    private final int line;
    private final int column;
    private final String problem;

    PipelineException(String source, String text, int line, int column, String problem) {
        super(source + ":" + line + ":" + (column + 1) + ": " + problem + "\n" + excerpt(text, line, column));
        this.source = source;
        this.line = line;
        this.column = column;
        this.problem = problem;
    }

    public String source() {
        return source;
    }

    /** 1-based line. */
    public int line() {
        return line;
    }

    /** 1-based column. */
    public int column() {
        return column + 1;
    }

    public String problem() {
        return problem;
    }

    private static String excerpt(String text, int line, int column) {
        String[] lines = text.split("\r?\n", -1);
        String l = line - 1 < lines.length ? lines[line - 1] : "";
        StringBuilder caret = new StringBuilder("  ");
        for (int i = 0; i < column && i < l.length(); i++) caret.append(l.charAt(i) == '\t' ? '\t' : ' ');
        return "  " + l + "\n" + caret + "^";
    }
}
