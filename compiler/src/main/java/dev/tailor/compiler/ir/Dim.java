package dev.tailor.compiler.ir;

import java.util.Objects;

/**
 * One dimension of a shape: a known size, a symbolic name (such as {@code batch}), or unknown.
 * The optional denotation is ONNX's semantic tag (for example {@code DATA_BATCH}).
 */
public final class Dim {
    private static final Dim UNKNOWN = new Dim(null, null, null);

    private final Long value;
    private final String param;
    private final String denotation;

    private Dim(Long value, String param, String denotation) {
        this.value = value;
        this.param = param;
        this.denotation = denotation;
    }

    public static Dim of(long value) {
        if (value < 0) throw new IllegalArgumentException("negative dimension " + value);
        return new Dim(value, null, null);
    }

    public static Dim symbolic(String param) {
        return new Dim(null, Objects.requireNonNull(param), null);
    }

    public static Dim unknown() {
        return UNKNOWN;
    }

    /** Creates a dim as read from a file: at most one of value and param set; denotation may be null. */
    public static Dim of(Long value, String param, String denotation) {
        if (value == null && param == null && denotation == null) return UNKNOWN;
        return new Dim(value, param, denotation);
    }

    public boolean isKnown() {
        return value != null;
    }

    public boolean isSymbolic() {
        return param != null;
    }

    /** The size; only valid when {@link #isKnown()}. */
    public long value() {
        if (value == null) throw new IllegalStateException("dimension " + this + " has no known size");
        return value;
    }

    public String param() {
        return param;
    }

    public String denotation() {
        return denotation;
    }

    public Dim withDenotation(String denotation) {
        return new Dim(value, param, denotation);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dim d && Objects.equals(value, d.value) && Objects.equals(param, d.param)
                && Objects.equals(denotation, d.denotation);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, param, denotation);
    }

    @Override
    public String toString() {
        return value != null ? value.toString() : param != null ? param : "?";
    }
}
