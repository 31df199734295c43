package dev.tailor.report;

/** The report's JSON output: the project's one writer ({@link dev.tailor.compiler.json.Json}), under the name the tools use. */
public final class Json {
    private Json() {}

    /** {@code value} (maps, lists, strings, numbers, booleans, null) as indented JSON, ending in a newline. */
    public static String write(Object value) {
        return dev.tailor.compiler.json.Json.write(value);
    }
}
