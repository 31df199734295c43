package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options that choose input data, shared by validate, bench, diff and compile (its validation inputs). */
final class DataArgs {
    @Option(names = "--inputs", paramLabel = "DATA",
            description = {".npy, .npz, a folder of input_N.pb files, or a text file (with --tokenizer);",
                    "without it, synthetic inputs derived from the model's input types"})
    Path inputs;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "a Hugging Face tokenizer.json for text inputs")
    Path tokenizer;

    @Option(names = "--batches", paramLabel = "N", description = "use at most N batches (default: all, or 4 synthetic)")
    int batches;

    @Option(names = "--batch-size", paramLabel = "N", description = "rows per batch (default: as stored; 8 for text)")
    int batchSize;

    @Option(names = "--max-length", paramLabel = "N", defaultValue = "128", description = "truncate text to N tokens")
    int maxLength;

    @Option(names = "--lines", paramLabel = "A..B", description = "use lines A to B of a text file")
    String lines;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "seed of synthetic inputs")
    long seed;

    Dataset open(Model model) {
        return DataSources.open(inputs, model, options(lines));
    }

    /** How to read data, with {@code lineRange} (A..B, or null for all) for text. */
    DataOptions options(String lineRange) {
        DataOptions d = DataOptions.DEFAULTS;
        return new DataOptions(batches, batchSize, d.sequenceLength(), d.pastLength(), seed, tokenizer, maxLength,
                lines(lineRange), d.padding());
    }

    DataOptions options() {
        return options(lines);
    }

    private static LineRange lines(String range) {
        if (range == null) return LineRange.ALL;
        try {
            return LineRange.parse(range);
        } catch (IllegalArgumentException e) {
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, e.getMessage(), "write lines as FROM..TO (1-based), "
                    + "FROM.., N, calibration (1..3000) or evaluation (3001..4000)");
        }
    }
}
