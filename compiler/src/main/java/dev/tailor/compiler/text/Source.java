package dev.tailor.compiler.text;

import java.nio.file.Path;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/** The text being read and its file, for errors that point at a line and column. */
final class Source {
    final Path file;
    final String text;
    private final boolean bmpOnly;

    Source(Path file, String text) {
        this.file = file;
        this.text = text;
        boolean bmp = true;
        for (int i = 0; i < text.length() && bmp; i++) bmp = !Character.isSurrogate(text.charAt(i));
        this.bmpOnly = bmp;
    }

    /** True when the lexer's positions (code points) are indexes into {@link #text} (UTF-16 chars). */
    boolean charIndexIsCodePointIndex() {
        return bmpOnly;
    }

    /** An error at 1-based {@code line} and 0-based {@code column}. */
    TextSyntaxException error(int line, int column, String problem) {
        return new TextSyntaxException(file, line, column + 1, line(line), problem);
    }

    TextSyntaxException error(Token t, String problem) {
        if (t.getType() == Token.EOF) return atEnd(problem);
        return error(t.getLine(), t.getCharPositionInLine(), problem);
    }

    TextSyntaxException error(ParserRuleContext ctx, String problem) {
        return error(ctx.getStart(), problem);
    }

    /** An error {@code offset} characters into token {@code t} (whose text may span lines). */
    TextSyntaxException error(Token t, int offset, String problem) {
        String s = t.getText();
        int line = t.getLine();
        int col = t.getCharPositionInLine();
        for (int i = 0; i < offset && i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                line++;
                col = 0;
            } else {
                col++;
            }
        }
        return error(line, col, problem);
    }

    /** An error just after the last character of the text. */
    TextSyntaxException atEnd(String problem) {
        int line = 1;
        int col = 0;
        String t = text.stripTrailing();
        for (int i = 0; i < t.length(); i++) {
            if (t.charAt(i) == '\n') {
                line++;
                col = 0;
            } else {
                col++;
            }
        }
        return error(line, col, problem);
    }

    /** The text of 1-based line {@code n}, without its line break. */
    String line(int n) {
        int start = 0;
        for (int i = 1; i < n; i++) {
            int nl = text.indexOf('\n', start);
            if (nl < 0) return "";
            start = nl + 1;
        }
        int end = text.indexOf('\n', start);
        String l = text.substring(start, end < 0 ? text.length() : end);
        return l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
    }
}
