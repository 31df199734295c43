package dev.tailor.compiler.text;

import org.antlr.v4.runtime.Token;

/**
 * Reads the values of one TENSOR_DATA token ({@code {1, 2.5, -inf}} or {@code {"a", "b"}}) one at a time, without
 * making an object per value, as onnx's parser does: values separated by commas, no trailing comma, comments and
 * white space anywhere between.
 */
final class DataScanner {
    enum Kind { INT, FLOAT, SPECIAL, STRING }

    private final Source src;
    private final Token token;
    /** The characters: the whole source (read in place) or the token's text; the token starts at {@code base}. */
    final String s;
    private final int base;
    private final int last;
    private int pos;
    private boolean first = true;
    private boolean done;

    Kind kind;
    int start;
    int end;

    DataScanner(Source src, Token token) {
        this.src = src;
        this.token = token;
        if (src.charIndexIsCodePointIndex()) {
            this.s = src.text;
            this.base = token.getStartIndex();
            this.last = token.getStopIndex(); // the closing brace
        } else {
            this.s = token.getText();
            this.base = 0;
            this.last = s.length() - 1;
        }
        this.pos = base + 1;
    }

    /** Moves to the next value; false after the last one. */
    boolean next() {
        if (done) return false;
        skipSpace();
        if (first) {
            first = false;
            if (s.charAt(pos) == '}') return finish();
        } else {
            char c = s.charAt(pos);
            if (c == '}') return finish();
            if (c != ',') throw error(pos, "expected ',' or '}' in tensor data, found " + describe(pos));
            pos++;
            skipSpace();
            if (s.charAt(pos) == '}') throw error(pos, "expected a value after ','");
        }
        value();
        return true;
    }

    String text() {
        return s.substring(start, end);
    }

    /** The literal as a string value (quotes removed, escapes resolved). */
    String string() {
        return Syntax.unquote(text());
    }

    /** An error at the current value. */
    TextSyntaxException error(String problem) {
        return src.error(token, start - base, problem);
    }

    /** An error at the closing brace. */
    TextSyntaxException errorAtEnd(String problem) {
        return src.error(token, last - base, problem);
    }

    private boolean finish() {
        done = true;
        return false;
    }

    private void value() {
        start = pos;
        char c = s.charAt(pos);
        if (c == '"') {
            pos++;
            while (s.charAt(pos) != '"') {
                if (s.charAt(pos) == '\\') pos++;
                pos++;
            }
            pos++;
            kind = Kind.STRING;
        } else if (c == '-' || isDigit(c)) {
            if (c == '-') pos++;
            if (isAlpha(s.charAt(pos))) {
                word();
                return;
            }
            if (!isDigit(s.charAt(pos)))
                throw error(start, "expected a number after '-'");
            kind = Kind.INT;
            while (isDigit(s.charAt(pos))) pos++;
            if (s.charAt(pos) == '.') {
                kind = Kind.FLOAT;
                pos++;
                while (isDigit(s.charAt(pos))) pos++;
            }
            if (s.charAt(pos) == 'e' || s.charAt(pos) == 'E') {
                kind = Kind.FLOAT;
                int e = pos;
                pos++;
                if (s.charAt(pos) == '+' || s.charAt(pos) == '-') pos++;
                if (!isDigit(s.charAt(pos))) throw error(e, "expected the digits of an exponent");
                while (isDigit(s.charAt(pos))) pos++;
            }
        } else if (isAlpha(c)) {
            word();
            return;
        } else {
            throw error(pos, "expected a number or a string in tensor data, found " + describe(pos));
        }
        end = pos;
    }

    private void word() {
        int w = pos;
        while (isAlpha(s.charAt(pos)) || isDigit(s.charAt(pos)) || s.charAt(pos) == '_') pos++;
        end = pos;
        if (!Syntax.isFloatWord(s.substring(w, pos)))
            throw error(start, "expected a number or a string in tensor data, found '" + s.substring(start, pos) + "'");
        kind = Kind.SPECIAL;
    }

    private void skipSpace() {
        while (true) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B) {
                pos++;
            } else if (c == '#') {
                while (pos < last && s.charAt(pos) != '\n') pos++;
            } else {
                return;
            }
        }
    }

    private String describe(int at) {
        char c = s.charAt(at);
        return c == '}' ? "'}'" : "'" + c + "'";
    }

    private TextSyntaxException error(int at, String problem) {
        return src.error(token, at - base, problem);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAlpha(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }
}
