package dev.tailor.report;

import java.util.List;

/**
 * Per transformer block, what happened to each sublayer (attention, FFN, ...). {@link GraphDiff#standard()} fills
 * it from the anatomy of both models ({@link AnatomyBlockMapper}); another {@link BlockMapper} can be plugged in
 * through {@link GraphDiff#withBlockMapper}. The renderers draw it as a table, and as an SVG grid in HTML.
 */
public record BlockMap(List<Block> blocks) {

    public enum Status { KEPT, REMOVED, QUANTIZED, CONVERTED, ADDED }

    /** A block by index with its sublayers in graph order. */
    public record Block(int index, List<Sublayer> sublayers) {}

    /** A sublayer by kind ({@code attention}, {@code ffn}, ...) and what happened to it, with a detail in words. */
    public record Sublayer(String kind, Status status, String detail) {}

    /** Builds the block map of two models, or returns null where either has no anatomy. */
    @FunctionalInterface
    public interface BlockMapper {
        BlockMap map(dev.tailor.compiler.ir.Model before, dev.tailor.compiler.ir.Model after, NodeMatch match);
    }
}
