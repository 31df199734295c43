package dev.tailor.compiler.pass;

import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Collectors;

/** An option value as written in a pipeline, before it is checked against the option's type. */
public sealed interface PipelineValue {
    /** The value as written. */
    String text();

    /** A number: {@code 8}, {@code 0.25}, {@code -1e-3}. */
    record Number(String text) implements PipelineValue {
        public boolean isInteger() {
            try {
                new BigDecimal(text).longValueExact();
                return !text.contains(".") && !text.toLowerCase().contains("e");
            } catch (ArithmeticException | NumberFormatException e) {
                return false;
            }
        }

        public long longValue() {
            return Long.parseLong(text);
        }

        public double doubleValue() {
            return Double.parseDouble(text);
        }
    }

    /** A bare word: an enum constant, a boolean, a name. */
    record Word(String text) implements PipelineValue {}

    /** A quoted string, unescaped. */
    record Text(String value) implements PipelineValue {
        @Override
        public String text() {
            return quote(value);
        }
    }

    /** {@code a..b}, or {@code a..} for "from a on". */
    record Range(int from, int to) implements PipelineValue {
        @Override
        public String text() {
            return from + ".." + (to == Integer.MAX_VALUE ? "" : Integer.toString(to));
        }
    }

    /** {@code [a, b, c]}. */
    record ListValue(List<PipelineValue> items) implements PipelineValue {
        @Override
        public String text() {
            return items.stream().map(PipelineValue::text).collect(Collectors.joining(", ", "[", "]"));
        }
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Writes a string bare when the language reads it back as the same word, else quoted. */
    static String quoteIfNeeded(String s) {
        return s.matches("[A-Za-z_][A-Za-z0-9_.*/-]*") && !s.equals("true") && !s.equals("false") ? s : quote(s);
    }
}
