package dev.tailor.testdata;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for test fixtures (such as the models' manifest.json): the compiler's reader, with every number a
 * {@code Double} so that tests compare numbers one way whatever their spelling in the file.
 */
public final class Json {
    private Json() {}

    public static Object parse(String text) {
        return doubles(dev.tailor.compiler.json.Json.parse(text));
    }

    private static Object doubles(Object v) {
        if (v instanceof Number n) return n.doubleValue();
        if (v instanceof List<?> l) return l.stream().map(Json::doubles).toList();
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put((String) k, doubles(x)));
            return out;
        }
        return v;
    }
}
