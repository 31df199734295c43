package dev.tailor.compiler.pass;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run of a pass did: whether the model changed, named measurements (counts, errors, sizes) in the order
 * the pass recorded them, and notes in words.
 */
public final class PassResult {
    private boolean modified;
    private final Map<String, Object> metrics = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    public static PassResult unchanged() {
        return new PassResult();
    }

    public static PassResult changed(boolean modified) {
        PassResult r = new PassResult();
        r.modified = modified;
        return r;
    }

    public PassResult modified(boolean m) {
        this.modified |= m;
        return this;
    }

    /** Records a measurement; numbers, strings, booleans and lists of them. */
    public PassResult metric(String name, Object value) {
        metrics.put(name, value);
        return this;
    }

    public PassResult note(String note) {
        notes.add(note);
        return this;
    }

    public boolean isModified() {
        return modified;
    }

    public Map<String, Object> metrics() {
        return Collections.unmodifiableMap(metrics);
    }

    public List<String> notes() {
        return Collections.unmodifiableList(notes);
    }
}
