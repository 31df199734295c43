package dev.tailor.compiler.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** An immutable tensor shape of known rank; each dimension known, symbolic or unknown. */
public final class Shape {
    private final List<Dim> dims;

    private Shape(List<Dim> dims) {
        this.dims = List.copyOf(dims);
    }

    public static Shape of(List<Dim> dims) {
        return new Shape(dims);
    }

    /** A shape from sizes and names: a {@code Number} becomes a known dim, a {@code String} a symbolic one, null unknown. */
    public static Shape of(Object... dims) {
        List<Dim> list = new ArrayList<>(dims.length);
        for (Object d : dims) {
            if (d == null) list.add(Dim.unknown());
            else if (d instanceof Number n) list.add(Dim.of(n.longValue()));
            else if (d instanceof String s) list.add(Dim.symbolic(s));
            else if (d instanceof Dim dim) list.add(dim);
            else throw new IllegalArgumentException("not a dimension: " + d);
        }
        return new Shape(list);
    }

    public static Shape of(long[] dims) {
        List<Dim> list = new ArrayList<>(dims.length);
        for (long d : dims) list.add(Dim.of(d));
        return new Shape(list);
    }

    public int rank() {
        return dims.size();
    }

    public Dim dim(int i) {
        return dims.get(i);
    }

    public List<Dim> dims() {
        return dims;
    }

    /** True when every dimension has a known size. */
    public boolean isStatic() {
        return dims.stream().allMatch(Dim::isKnown);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && dims.equals(s.dims);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dims);
    }

    @Override
    public String toString() {
        return dims.toString();
    }
}
