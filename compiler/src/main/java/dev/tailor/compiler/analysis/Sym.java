package dev.tailor.compiler.analysis;

import dev.tailor.compiler.ir.Dim;

/**
 * One element of an integer tensor whose contents shape inference tracks (shape computations): a known number
 * (of any sign), a symbol (the name of a dimension, such as {@code batch}) or unknown.
 */
record Sym(Long value, String param) {
    static final Sym UNKNOWN = new Sym(null, null);

    static Sym of(long v) {
        return new Sym(v, null);
    }

    static Sym of(Dim d) {
        if (d.isKnown()) return of(d.value());
        if (d.isSymbolic()) return new Sym(null, d.param());
        return UNKNOWN;
    }

    boolean known() {
        return value != null;
    }

    boolean symbolic() {
        return param != null;
    }

    /** As a dimension: a negative number or unknown element is an unknown dim. */
    Dim toDim() {
        if (value != null) return value >= 0 ? Dim.of(value) : Dim.unknown();
        if (param != null) return Dim.symbolic(param);
        return Dim.unknown();
    }

    boolean same(Sym o) {
        if (value != null) return value.equals(o.value);
        return param != null && param.equals(o.param);
    }

    @Override
    public String toString() {
        return value != null ? value.toString() : param != null ? param : "?";
    }
}
