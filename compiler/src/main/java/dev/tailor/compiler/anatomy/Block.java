package dev.tailor.compiler.anatomy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A transformer block: consecutive sublayers of one residual stream, starting at a self-attention, or at an FFN
 * directly before it (the Macaron layout, FFN½ → attention → FFN½: an FFN that precedes a self-attention and does
 * not follow another FFN in its block opens that attention's block, with the id {@code b3.ffn_front}). Blocks are
 * numbered across streams in graph order ({@code b0}, {@code b1}, …; an encoder's before its decoder's).
 */
public final class Block {
    /** Ends the id of an FFN before the block's attention: {@code b3.ffn_front}. */
    public static final String FRONT_SUFFIX = "_front";

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

    /** The first sublayer of {@code kind} at or after the block's attention (never the front FFN), or null. */
    public Sublayer sublayer(SublayerKind kind) {
        Sublayer front = front();
        for (Sublayer s : sublayers) if (s.kind() == kind && s != front) return s;
        return null;
    }

    /** The FFN before the block's self-attention (Macaron layout), or null. */
    public Sublayer front() {
        return sublayers.size() > 1 && sublayers.get(0).kind() == SublayerKind.FFN
                && sublayers.get(1).kind() == SublayerKind.ATTN ? sublayers.get(0) : null;
    }

    /** True while the block holds only an FFN opened ahead of an attention (during assembly). */
    boolean frontOnly() {
        return sublayers.size() == 1 && sublayers.get(0).id().endsWith(FRONT_SUFFIX);
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
