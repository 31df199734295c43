package dev.tailor.runtime.data;

import java.nio.file.Path;

/**
 * How {@link DataSources} reads or makes data. Zero means "the source's default" for {@code batches} and
 * {@code batchSize}:
 * <ul>
 *   <li>{@code batches}: synthetic data makes 4; files give all they hold, and a positive value keeps the first
 *       {@code batches} of them;</li>
 *   <li>{@code batchSize}: synthetic data 2, text 8; arrays from files keep the batches they were saved with, and
 *       a positive value splits each along its first axis into batches of that many rows (the last may be
 *       smaller). For text, a model whose batch dimension is a fixed size decides the batch size.</li>
 * </ul>
 * {@code sequenceLength} and {@code pastLength} size synthetic data's symbolic dimensions; {@code seed} seeds
 * its random numbers. {@code tokenizer}, {@code maxLength}, {@code lines} and {@code padding} apply to text.
 */
public record DataOptions(int batches, int batchSize, int sequenceLength, int pastLength, long seed,
                          Path tokenizer, int maxLength, LineRange lines, Padding padding) {

    /** How text batches are padded. */
    public enum Padding {
        /** To the longest sentence of each batch (after truncation). */
        LONGEST,
        /** To {@code maxLength}. */
        MAX_LENGTH
    }

    public static final DataOptions DEFAULTS =
            new DataOptions(0, 0, 16, 4, 0, null, 128, LineRange.ALL, Padding.LONGEST);

    public DataOptions {
        if (batches < 0) throw new IllegalArgumentException("batches must be 0 (the default) or more, not " + batches);
        if (batchSize < 0)
            throw new IllegalArgumentException("batch size must be 0 (the default) or more, not " + batchSize);
        if (sequenceLength < 1) throw new IllegalArgumentException("sequence length must be 1 or more, not " + sequenceLength);
        if (pastLength < 0) throw new IllegalArgumentException("past length must be 0 or more, not " + pastLength);
        if (maxLength < 1) throw new IllegalArgumentException("max length must be 1 or more, not " + maxLength);
        if (lines == null) lines = LineRange.ALL;
        if (padding == null) padding = Padding.LONGEST;
    }

    public DataOptions withBatches(int n) {
        return new DataOptions(n, batchSize, sequenceLength, pastLength, seed, tokenizer, maxLength, lines, padding);
    }

    public DataOptions withBatchSize(int n) {
        return new DataOptions(batches, n, sequenceLength, pastLength, seed, tokenizer, maxLength, lines, padding);
    }

    public DataOptions withSequenceLength(int n) {
        return new DataOptions(batches, batchSize, n, pastLength, seed, tokenizer, maxLength, lines, padding);
    }

    public DataOptions withPastLength(int n) {
        return new DataOptions(batches, batchSize, sequenceLength, n, seed, tokenizer, maxLength, lines, padding);
    }

    public DataOptions withSeed(long s) {
        return new DataOptions(batches, batchSize, sequenceLength, pastLength, s, tokenizer, maxLength, lines, padding);
    }

    public DataOptions withTokenizer(Path file) {
        return new DataOptions(batches, batchSize, sequenceLength, pastLength, seed, file, maxLength, lines, padding);
    }

    public DataOptions withMaxLength(int n) {
        return new DataOptions(batches, batchSize, sequenceLength, pastLength, seed, tokenizer, n, lines, padding);
    }

    public DataOptions withLines(LineRange range) {
        return new DataOptions(batches, batchSize, sequenceLength, pastLength, seed, tokenizer, maxLength, range, padding);
    }

    public DataOptions withPadding(Padding p) {
        return new DataOptions(batches, batchSize, sequenceLength, pastLength, seed, tokenizer, maxLength, lines, p);
    }
}
