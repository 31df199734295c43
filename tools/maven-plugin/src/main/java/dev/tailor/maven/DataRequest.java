package dev.tailor.maven;

import dev.tailor.compiler.ir.Model;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.maven.plugin.MojoFailureException;

/**
 * Calibration or validation data as the parameters ask for it, checked before anything runs: a file or folder
 * ({@code .npy}, {@code .npz}, {@code .pb} tensors, or text with one sentence per line) or none (synthetic inputs),
 * the tokenizer for text, the lines and the number of batches.
 */
record DataRequest(Path path, Path tokenizer, LineRange lines, int batches, int batchSize, int maxLength) {

    /**
     * Checks the parameters named {@code dataParam}, {@code linesParam} and {@code batchesParam} (and the shared
     * {@code tokenizer}, {@code batchSize}, {@code maxLength}).
     */
    static DataRequest check(String dataParam, Path path, String linesParam, String lines, String batchesParam,
                             int batches, Path tokenizer, int batchSize, int maxLength) throws MojoFailureException {
        if (path != null && !Files.exists(path))
            throw UserErrors.parameter(dataParam, path + ": no such file or folder",
                    "give a text file (one sentence per line), an .npy/.npz file or a folder of .pb tensors");
        if (tokenizer != null && !Files.isRegularFile(tokenizer))
            throw UserErrors.parameter("tokenizer", tokenizer + ": no such file",
                    "give the model's Hugging Face tokenizer.json");
        LineRange range = LineRange.ALL;
        if (lines != null && !lines.isBlank()) {
            try {
                range = LineRange.parse(lines);
            } catch (IllegalArgumentException e) {
                throw UserErrors.parameter(linesParam, e.getMessage(), "write FROM..TO, FROM.., N, calibration or "
                        + "evaluation");
            }
        }
        if (batches < 0) throw UserErrors.parameter(batchesParam, "is " + batches, "use 0 (all) or more");
        if (batchSize < 0) throw UserErrors.parameter("batchSize", "is " + batchSize, "use 0 (the data's own) or more");
        if (maxLength < 1) throw UserErrors.parameter("maxLength", "is " + maxLength, "use 1 or more tokens");
        return new DataRequest(path, tokenizer, range, batches, batchSize, maxLength);
    }

    /** How to read the data; {@code defaultTokenizer} (a bundled model's) serves text without a tokenizer. */
    DataOptions options(Path defaultTokenizer) {
        DataOptions d = DataOptions.DEFAULTS;
        return new DataOptions(batches, batchSize, d.sequenceLength(), d.pastLength(), d.seed(),
                tokenizer != null ? tokenizer : defaultTokenizer, maxLength, lines, d.padding());
    }

    /** The data, read for {@code model}. */
    Dataset open(Model model, Path defaultTokenizer) {
        return DataSources.open(path, model, options(defaultTokenizer));
    }

    /** What this data is, for the fingerprint: the contents of every file it reads, and how it reads them. */
    void addTo(Fingerprint.Builder f, String prefix, Path defaultTokenizer) {
        f.putContent(prefix, path);
        if (path != null) f.putContent(prefix + ".tokenizer", tokenizer != null ? tokenizer : defaultTokenizer);
        f.put(prefix + ".reading", "lines=" + lines + " batches=" + batches + " batchSize=" + batchSize
                + " maxLength=" + maxLength);
    }
}
