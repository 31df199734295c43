package dev.tailor.compiler.analysis;

import dev.tailor.compiler.ir.Dim;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Arithmetic on dimensions that may be known sizes, symbolic names or unknown. */
final class Dims {
    private Dims() {}

    static final Dim ONE = Dim.of(1);

    /** Same size or same symbol (denotations are ignored); unknown dims are never the same. */
    static boolean same(Dim a, Dim b) {
        if (a.isKnown() && b.isKnown()) return a.value() == b.value();
        return a.isSymbolic() && b.isSymbolic() && a.param().equals(b.param());
    }

    static boolean isOne(Dim d) {
        return d.isKnown() && d.value() == 1;
    }

    /** The dim without its denotation (inference results carry none). */
    static Dim plain(Dim d) {
        if (d.denotation() == null) return d;
        if (d.isKnown()) return Dim.of(d.value());
        if (d.isSymbolic()) return Dim.symbolic(d.param());
        return Dim.unknown();
    }

    /**
     * The broadcast of dims (numpy rules): a size other than 1 wins; sizes that differ and are not 1 are an error;
     * when no size other than 1 is known, the dims that are not 1 must agree: one symbol, or a single unknown.
     */
    static Dim broadcast(List<Dim> dims) {
        long known = 1;
        List<Dim> open = new ArrayList<>();
        for (Dim d : dims) {
            if (d.isKnown()) {
                if (d.value() == 1) continue;
                if (known != 1 && known != d.value())
                    throw new ShapeInference.CannotInfer("dimensions " + known + " and " + d.value() + " do not broadcast");
                known = d.value();
            } else open.add(d);
        }
        if (known != 1 || open.isEmpty()) return Dim.of(known);
        if (open.size() == 1) return plain(open.get(0));
        String param = open.get(0).param();
        for (Dim d : open) if (param == null || !param.equals(d.param())) return Dim.unknown();
        return Dim.symbolic(param);
    }

    static Dim add(Dim a, Dim b) {
        if (a.isKnown() && b.isKnown()) return Dim.of(Math.addExact(a.value(), b.value()));
        if (a.isKnown() && a.value() == 0) return plain(b);
        if (b.isKnown() && b.value() == 0) return plain(a);
        return Dim.unknown();
    }

    static Dim mul(Dim a, Dim b) {
        if (a.isKnown() && b.isKnown()) return Dim.of(Math.multiplyExact(a.value(), b.value()));
        if (isOne(a)) return plain(b);
        if (isOne(b)) return plain(a);
        return Dim.unknown();
    }

    /** The product of dims, or unknown when any is not a known size. */
    static Dim product(List<Dim> dims) {
        long p = 1;
        for (Dim d : dims) {
            if (!d.isKnown()) {
                // a single symbolic factor times ones keeps its name
                List<Dim> rest = new ArrayList<>();
                for (Dim e : dims) if (!isOne(e)) rest.add(e);
                return rest.size() == 1 ? plain(rest.get(0)) : Dim.unknown();
            }
            p = Math.multiplyExact(p, d.value());
        }
        return Dim.of(p);
    }

    /** A dim from a value that may be any long (negative sizes are not sizes). */
    static Dim ofValue(Long v) {
        return v == null || v < 0 ? Dim.unknown() : Dim.of(v);
    }

    static String toString(List<Dim> dims) {
        List<String> s = new ArrayList<>();
        for (Dim d : dims) s.add(Objects.toString(d));
        return "[" + String.join(", ", s) + "]";
    }
}
