package dev.tailor.compiler.text;

import dev.tailor.grammar.OnnxTextLexer;
import dev.tailor.grammar.OnnxTextParser;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/** Turns the first lexer or parser error into a {@link TextSyntaxException} saying what was expected. */
final class SyntaxErrors extends BaseErrorListener {
    private final Source src;

    SyntaxErrors(Source src) {
        this.src = src;
    }

    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int column, String msg,
                            RecognitionException e) {
        if (recognizer instanceof OnnxTextLexer lexer) {
            int at = lexer._tokenStartCharIndex;
            String text = src.text;
            char c = at < text.length() ? text.charAt(at) : 0;
            int l = lexer._tokenStartLine;
            int col = lexer._tokenStartCharPositionInLine;
            if (c == '"') throw src.error(l, col, "this string is not closed: a '\"' is missing");
            throw src.error(l, col, "unexpected character '" + (c < ' ' ? String.format("\\u%04x", (int) c)
                    : String.valueOf(c)) + "'");
        }
        Parser parser = (Parser) recognizer;
        Token t = offending instanceof Token tok ? tok : null;
        IntervalSet expected = e != null && e.getExpectedTokens() != null ? e.getExpectedTokens()
                : parser.getExpectedTokens();
        String problem = "expected " + expected(expected) + ", found " + (t == null ? "this" : describe(t));
        if (t != null) throw src.error(t, problem);
        throw src.error(line, column, problem);
    }

    static String expected(IntervalSet set) {
        List<String> names = new ArrayList<>();
        for (int type : set.toList()) {
            String n = name(type);
            if (n != null && !names.contains(n)) names.add(n);
        }
        names.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        if (names.isEmpty()) return "something else";
        if (names.size() == 1) return names.get(0);
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    /** Names first, then literals, then punctuation in the grammar's order. */
    private static int rank(String name) {
        if (name.equals("a name")) return 0;
        if (name.startsWith("a ") || name.startsWith("an ")) return 1;
        return 2;
    }

    private static String name(int type) {
        return switch (type) {
            case Token.EOF -> "end of input";
            case OnnxTextLexer.ID, OnnxTextLexer.SEQ, OnnxTextLexer.MAP, OnnxTextLexer.OPTIONAL,
                 OnnxTextLexer.SPARSE_TENSOR, OnnxTextLexer.OPAQUE, OnnxTextLexer.INF_NAN -> "a name";
            case OnnxTextLexer.STRING -> "a string";
            case OnnxTextLexer.INT -> "an integer";
            case OnnxTextLexer.FLOAT, OnnxTextLexer.NEG_INF_NAN -> "a number";
            case OnnxTextLexer.TENSOR_DATA -> "tensor data {...}";
            default -> {
                String literal = OnnxTextParser.VOCABULARY.getLiteralName(type);
                yield literal != null ? literal : null;
            }
        };
    }

    static String describe(Token t) {
        return switch (t.getType()) {
            case Token.EOF -> "end of input";
            case OnnxTextLexer.STRING -> "string " + shorten(t.getText());
            case OnnxTextLexer.TENSOR_DATA -> "tensor data " + shorten(t.getText());
            default -> "'" + shorten(t.getText()) + "'";
        };
    }

    private static String shorten(String s) {
        s = s.replace("\n", " ");
        return s.length() > 30 ? s.substring(0, 27) + "..." : s;
    }
}
