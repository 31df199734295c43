package dev.tailor.compiler.anatomy;

/** What a residual branch computes. The printable name is what ids and pipeline options use. */
public enum SublayerKind {
    /** Self-attention: queries, keys and values all come from the block's own stream. */
    ATTN("attn"),
    /** Cross-attention: queries from the block's stream, keys and values from another stream (an encoder's). */
    XATTN("xattn"),
    /** A feed-forward network, plain (up, activation, down) or gated (gate and up, activation, down). */
    FFN("ffn");

    private final String id;

    SublayerKind(String id) {
        this.id = id;
    }

    /** The printable name: {@code attn}, {@code xattn} or {@code ffn}. */
    public String id() {
        return id;
    }

    public boolean isAttention() {
        return this != FFN;
    }

    @Override
    public String toString() {
        return id;
    }
}
