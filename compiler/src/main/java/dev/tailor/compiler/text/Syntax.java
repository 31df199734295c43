package dev.tailor.compiler.text;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Attribute;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The words of the ONNX text syntax (element types, attribute types) and how names and strings are written. */
final class Syntax {
    private Syntax() {}

    /** Element type names by ONNX type number, as onnx's parser spells them; Tailor adds the last three. */
    private static final String[] ELEMENT_TYPES = new String[DataType.values().length];
    private static final Map<String, DataType> ELEMENT_TYPE_BY_NAME = new HashMap<>();

    static {
        for (DataType t : DataType.values()) {
            if (t == DataType.UNDEFINED) continue;
            String name = t.name().toLowerCase(Locale.ROOT);
            ELEMENT_TYPES[t.code()] = name;
            ELEMENT_TYPE_BY_NAME.put(name, t);
        }
    }

    /** Attribute type names as onnx's parser spells them (`x: ints = [1, 2]`). */
    private static final Map<String, Attribute.Kind> ATTRIBUTE_TYPE_BY_NAME = new HashMap<>();
    private static final String[] ATTRIBUTE_TYPES = new String[15];

    static {
        for (Attribute.Kind k : Attribute.Kind.values()) {
            if (k == Attribute.Kind.UNDEFINED) continue;
            String name = k.name().toLowerCase(Locale.ROOT);
            ATTRIBUTE_TYPE_BY_NAME.put(name, k);
            ATTRIBUTE_TYPES[k.code()] = name;
        }
    }

    /** Words that onnx reads as the start of a type where a value name may also stand. */
    private static final Set<String> TYPE_WORDS = Set.of("seq", "map", "optional", "sparse_tensor", "opaque");

    static DataType elementType(String name) {
        return ELEMENT_TYPE_BY_NAME.get(name);
    }

    /** The name of element type number {@code code}, or null when the syntax has none. */
    static String elementTypeName(int code) {
        return code > 0 && code < ELEMENT_TYPES.length ? ELEMENT_TYPES[code] : null;
    }

    static String elementTypeNames() {
        return String.join(", ", java.util.Arrays.copyOfRange(ELEMENT_TYPES, 1, ELEMENT_TYPES.length));
    }

    static Attribute.Kind attributeType(String name) {
        return ATTRIBUTE_TYPE_BY_NAME.get(name);
    }

    static String attributeTypeName(Attribute.Kind kind) {
        return ATTRIBUTE_TYPES[kind.code()];
    }

    static String attributeTypeNames() {
        return "float, int, string, tensor, graph, sparse_tensor, type_proto, floats, ints, strings, tensors, graphs, "
                + "sparse_tensors, type_protos";
    }

    /** A plain identifier: a letter or underscore, then letters, digits and underscores. */
    static boolean isIdentifier(String s) {
        if (s == null || s.isEmpty()) return false;
        char c = s.charAt(0);
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_')) return false;
        for (int i = 1; i < s.length(); i++) {
            c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) return false;
        }
        return true;
    }

    /** True for words that onnx reads as a type where a value info's name may stand (so such names are quoted). */
    static boolean isTypeWord(String s) {
        return ELEMENT_TYPE_BY_NAME.containsKey(s) || TYPE_WORDS.contains(s);
    }

    /** True for the special float words (inf, infinity, nan, in any case), which onnx reads as numbers. */
    static boolean isFloatWord(String s) {
        String l = s.toLowerCase(Locale.ROOT);
        return l.equals("inf") || l.equals("infinity") || l.equals("nan");
    }

    /** A string literal: backslash escapes a quote and itself, everything else stands for itself. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.append('"').toString();
    }

    /** True when {@link #quote} escapes something, which onnx 1.12's parser cannot read. */
    static boolean needsEscape(String s) {
        return s.indexOf('"') >= 0 || s.indexOf('\\') >= 0;
    }

    /** The text of a string literal token (quotes included): a backslash takes the next character as it is. */
    static String unquote(String literal) {
        int end = literal.length() - 1;
        int slash = literal.indexOf('\\');
        if (slash < 0) return literal.substring(1, end);
        StringBuilder b = new StringBuilder(end);
        for (int i = 1; i < end; i++) {
            char c = literal.charAt(i);
            if (c == '\\') c = literal.charAt(++i);
            b.append(c);
        }
        return b.toString();
    }

    /**
     * Whether {@code s} can stand in a string literal: onnx reads its input as a C string, so it cannot hold NUL.
     * (Every other character may appear as it is.)
     */
    static boolean printable(String s) {
        return s.indexOf('\0') < 0;
    }

    /** The bytes as text if they are valid UTF-8 that a string literal can hold, else null. */
    static String printableUtf8(com.google.protobuf.ByteString bytes) {
        if (!bytes.isValidUtf8()) return null;
        String s = bytes.toStringUtf8();
        return printable(s) ? s : null;
    }
}
