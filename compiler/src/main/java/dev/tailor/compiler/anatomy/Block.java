package dev.tailor.compiler.anatomy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A transformer block: consecutive sublayers of one residual stream, starting at a self-attention. Blocks are
 * numbered across streams in graph order ({@code b0}, {@code b1}, …; an encoder's before its decoder's).
 */
public final class Block {
    private final String id;
    private final int index;
    private final Stream stream;
    final List<Sublayer> sublayers = new ArrayList<>();

    Block(int index, Stream stream) {
        this.index = index;
        this.id = "b" + index;
        this.stream = stream;
    }

    public String id() {
        return id;
    }

    public int index() {
        return index;
    }

    public Stream stream() {
        return stream;
    }

    public List<Sublayer> sublayers() {
        return Collections.unmodifiableList(sublayers);
    }

    /** The first sublayer of {@code kind}, or null. */
    public Sublayer sublayer(SublayerKind kind) {
        for (Sublayer s : sublayers) if (s.kind() == kind) return s;
        return null;
    }

    public long parameterCount() {
        long n = 0;
        for (Sublayer s : sublayers) n += s.parameterCount();
        return n;
    }

    @Override
    public String toString() {
        return id + sublayers.stream().map(s -> s.kind().id()).toList();
    }
}
