package dev.tailor.compiler.pass;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One declared option of a pass, read from its {@link Option} field: name, type, default and documentation.
 * It also converts pipeline values to the field's type, with errors that say what was expected.
 */
public final class OptionSpec {
    /** The kinds of value an option can hold, as the pipeline language writes them. */
    public enum Kind { INT, FLOAT, BOOL, STRING, ENUM, RANGE, LIST }

    private final String name;
    private final Field field;
    private final Kind kind;
    private final Class<?> element;
    private final Object defaultValue;
    private final Option declaration;

    OptionSpec(Field field, Object defaultValue) {
        this.field = field;
        this.declaration = field.getAnnotation(Option.class);
        this.name = declaration.name().isEmpty() ? snakeCase(field.getName()) : declaration.name();
        this.kind = kindOf(field.getType());
        this.element = kind == Kind.LIST ? declaration.element() : field.getType();
        this.defaultValue = defaultValue;
        field.setAccessible(true);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public String doc() {
        return declaration.doc();
    }

    public Object defaultValue() {
        return defaultValue;
    }

    /** The default as the pipeline language writes it. */
    public String defaultText() {
        return format(defaultValue);
    }

    /** Allowed names of an enum option (or of a list of enums), lower case; empty otherwise. */
    public List<String> choices() {
        Class<?> c = kind == Kind.LIST ? element : field.getType();
        if (!c.isEnum()) return List.of();
        return Arrays.stream(c.getEnumConstants()).map(e -> ((Enum<?>) e).name().toLowerCase(Locale.ROOT)).toList();
    }

    /** The type as users read it: {@code int}, {@code float in [0, 1]}, {@code one of js, kl}, {@code range}. */
    public String typeName() {
        String bounds = "";
        if (declaration.min() != Double.NEGATIVE_INFINITY || declaration.max() != Double.POSITIVE_INFINITY)
            bounds = " in [" + num(declaration.min()) + ", " + num(declaration.max()) + "]";
        return switch (kind) {
            case INT -> "int" + bounds;
            case FLOAT -> "float" + bounds;
            case BOOL -> "bool";
            case STRING -> "string";
            case ENUM -> "one of " + String.join(", ", choices());
            case RANGE -> "range (a..b)";
            case LIST -> "list of " + (element.isEnum() ? "{" + String.join(", ", choices()) + "}"
                    : element == String.class ? "names" : element.getSimpleName().toLowerCase(Locale.ROOT));
        };
    }

    private static String num(double d) {
        if (Double.isInfinite(d)) return d > 0 ? "∞" : "-∞";
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** Converts a parsed pipeline value to this option's type, or throws with what was expected. */
    Object convert(PipelineValue v) {
        Object out = switch (kind) {
            case INT -> {
                if (!(v instanceof PipelineValue.Number n) || !n.isInteger()) throw expected(v);
                long l = n.longValue();
                if (field.getType() == int.class || field.getType() == Integer.class) {
                    if (l != (int) l) throw expected(v);
                    yield (int) l;
                }
                yield l;
            }
            case FLOAT -> {
                if (!(v instanceof PipelineValue.Number n)) throw expected(v);
                yield field.getType() == float.class || field.getType() == Float.class ? (Object) (float) n.doubleValue()
                        : (Object) n.doubleValue();
            }
            case BOOL -> {
                if (v instanceof PipelineValue.Word w && (w.text().equals("true") || w.text().equals("false")))
                    yield Boolean.parseBoolean(w.text());
                throw expected(v);
            }
            case STRING -> {
                if (v instanceof PipelineValue.Word w) yield w.text();
                if (v instanceof PipelineValue.Text t) yield t.value();
                if (v instanceof PipelineValue.Number n) yield n.text();
                throw expected(v);
            }
            case ENUM -> enumValue(field.getType(), v);
            case RANGE -> {
                if (v instanceof PipelineValue.Range r) yield new IntRange(r.from(), r.to());
                if (v instanceof PipelineValue.Number n && n.isInteger() && n.longValue() >= 0
                        && n.longValue() <= Integer.MAX_VALUE)
                    yield new IntRange((int) n.longValue(), (int) n.longValue());
                throw expected(v);
            }
            case LIST -> {
                List<PipelineValue> items = v instanceof PipelineValue.ListValue l ? l.items() : List.of(v);
                List<Object> out2 = new ArrayList<>();
                for (PipelineValue item : items) out2.add(listItem(item));
                yield List.copyOf(out2);
            }
        };
        if (out instanceof Number n && (kind == Kind.INT || kind == Kind.FLOAT)) {
            double d = n.doubleValue();
            if (d < declaration.min() || d > declaration.max())
                throw new IllegalArgumentException("must be" + typeName().substring(typeName().indexOf(' '))
                        + ", got " + v.text());
        }
        return out;
    }

    private Object listItem(PipelineValue item) {
        if (element.isEnum()) return enumValue(element, item);
        if (element == Integer.class || element == Long.class) {
            if (item instanceof PipelineValue.Number n && n.isInteger())
                return element == Integer.class ? (Object) (int) n.longValue() : (Object) n.longValue();
            throw expected(item);
        }
        if (item instanceof PipelineValue.Word w) return w.text();
        if (item instanceof PipelineValue.Text t) return t.value();
        if (item instanceof PipelineValue.Number n) return n.text();
        throw expected(item);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Object enumValue(Class<?> type, PipelineValue v) {
        if (v instanceof PipelineValue.Word w) {
            for (Object c : type.getEnumConstants())
                if (((Enum) c).name().equalsIgnoreCase(w.text())) return c;
        }
        throw new IllegalArgumentException("expects one of " + String.join(", ", choices()) + ", got " + v.text()
                + Names.suggestion(v.text(), choices()));
    }

    private IllegalArgumentException expected(PipelineValue v) {
        return new IllegalArgumentException("expects " + (typeName().startsWith("int") ? "an " : "a ") + typeName()
                + ", got " + v.text());
    }

    void set(Object pass, Object value) {
        try {
            field.set(pass, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot set option " + name, e);
        }
    }

    Object get(Object pass) {
        try {
            return field.get(pass);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read option " + name, e);
        }
    }

    /** The value as the pipeline language writes it, so that printing and parsing round-trip. */
    String format(Object value) {
        if (value == null) return "\"\"";
        if (value instanceof Enum<?> e) return e.name().toLowerCase(Locale.ROOT);
        if (value instanceof String s) return PipelineValue.quoteIfNeeded(s);
        if (value instanceof Double d) return formatDouble(d);
        if (value instanceof Float f) return formatDouble(f.doubleValue());
        if (value instanceof IntRange r) return r.to() == Integer.MAX_VALUE ? r.from() + "..": r.toString();
        if (value instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            for (Object o : l) parts.add(format(o));
            return "[" + String.join(", ", parts) + "]";
        }
        return String.valueOf(value);
    }

    private static String formatDouble(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d) + ".0";
        return Double.toString(d);
    }

    private static Kind kindOf(Class<?> t) {
        if (t == int.class || t == long.class || t == Integer.class || t == Long.class) return Kind.INT;
        if (t == double.class || t == float.class || t == Double.class || t == Float.class) return Kind.FLOAT;
        if (t == boolean.class || t == Boolean.class) return Kind.BOOL;
        if (t == String.class) return Kind.STRING;
        if (t.isEnum()) return Kind.ENUM;
        if (t == IntRange.class) return Kind.RANGE;
        if (List.class.isAssignableFrom(t)) return Kind.LIST;
        throw new IllegalArgumentException("option fields cannot be of type " + t.getName());
    }

    static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }
}
