package dev.tailor.compiler.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code metadata_props} of a model, graph, node, value, tensor or function: an ordered list of key/value
 * pairs. Kept as a list, not a map, because files may repeat a key and the order must survive a round trip.
 */
public final class Metadata {
    /** One entry; key or value is null when the file left it unset. */
    public record Entry(String key, String value) {}

    private final List<Entry> entries = new ArrayList<>();

    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The value of the first entry with {@code key}, or null. */
    public String get(String key) {
        for (Entry e : entries) if (key.equals(e.key())) return e.value();
        return null;
    }

    /** Sets {@code key}: replaces the first entry with that key, or appends one. */
    public void put(String key, String value) {
        for (int i = 0; i < entries.size(); i++) {
            if (key.equals(entries.get(i).key())) {
                entries.set(i, new Entry(key, value));
                return;
            }
        }
        entries.add(new Entry(key, value));
    }

    /** Appends an entry as read from a file, duplicates included. */
    public void add(Entry entry) {
        entries.add(entry);
    }

    public void remove(String key) {
        entries.removeIf(e -> key.equals(e.key()));
    }
}
