package dev.tailor.runtime.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Text files, one sentence per line, tokenized with a Hugging Face {@code tokenizer.json} by the Hugging Face
 * tokenizers library (through DJL's Java binding, whose jar carries the native library; nothing is downloaded).
 *
 * <p>Each batch feeds the model's {@code input_ids}, and {@code attention_mask}, {@code token_type_ids} and
 * {@code position_ids} (counting {@code 0, 1, ...}) when the model has them, each of the input's element type; a
 * model with any other input cannot take text. Sentences are truncated to the maximum length and padded to the
 * longest of their batch or to the maximum length; a model whose sequence dimension is a fixed size gets exactly
 * that many tokens, and one whose batch dimension is fixed gets batches of that size (an incomplete last batch is
 * left out, and the description says so). Blank lines are skipped.
 */
final class TextData {
    static final int DEFAULT_BATCH_SIZE = 8;
    static final List<String> TEXT_INPUTS = List.of("input_ids", "attention_mask", "token_type_ids", "position_ids");

    private TextData() {}

    static Dataset read(Path text, Model model, ModelInputs inputs, DataOptions o) {
        checkInputs(text, inputs);
        Path tokenizerFile = tokenizer(text, model, o);
        List<String> sentences = sentences(text, o.lines());

        Value ids = inputs.required().stream().filter(v -> v.name().equals("input_ids")).findFirst().orElseThrow();
        Long fixedBatch = null, fixedLength = null;
        if (ids.type() instanceof Type.Tensor t && t.shape() != null) {
            if (t.shape().rank() != 2)
                throw new DataException(text + ": text gives input_ids of shape [batch, sequence], but the model's "
                        + "input 'input_ids' is " + ModelInputs.describe(t));
            Dim b = t.shape().dim(0), s = t.shape().dim(1);
            if (b.isKnown()) fixedBatch = b.value();
            if (s.isKnown()) fixedLength = s.value();
        }
        int batchSize = o.batchSize() > 0 ? o.batchSize() : DEFAULT_BATCH_SIZE;
        if (fixedBatch != null) {
            if (o.batchSize() > 0 && o.batchSize() != fixedBatch)
                throw new DataException(text + ": the model's batch size is fixed at " + fixedBatch + " (input 'input_ids' is "
                        + ModelInputs.describe(ids.type()) + "), so batches of " + o.batchSize() + " do not fit");
            batchSize = Math.toIntExact(fixedBatch);
        }
        int maxLength = fixedLength != null ? Math.toIntExact(fixedLength) : o.maxLength();
        boolean padToMax = fixedLength != null || o.padding() == DataOptions.Padding.MAX_LENGTH;

        int usable = sentences.size();
        if (o.batches() > 0) usable = (int) Math.min(usable, (long) o.batches() * batchSize);
        int dropped = 0;
        if (fixedBatch != null) {
            dropped = usable % batchSize;
            usable -= dropped;
            if (usable == 0)
                throw new DataException(text + ": " + sentences.size() + " sentences cannot fill one batch of "
                        + batchSize + ", the model's fixed batch size");
        }

        List<Map<String, Tensor>> batches = new ArrayList<>();
        try (HuggingFaceTokenizer tokenizer = Djl.open(tokenizerFile, maxLength, padToMax)) {
            for (int start = 0; start < usable; start += batchSize) {
                List<String> chunk = sentences.subList(start, Math.min(usable, start + batchSize));
                Encoding[] encoded;
                try {
                    encoded = tokenizer.batchEncode(chunk);
                } catch (RuntimeException e) {
                    throw new DataException(text + ": the tokenizer failed on lines near sentence " + (start + 1) + ": "
                            + e.getMessage(), e);
                }
                batches.add(tensors(encoded, inputs));
            }
        }

        StringBuilder d = new StringBuilder();
        d.append(text);
        if (!o.lines().equals(LineRange.ALL)) d.append(" lines ").append(o.lines());
        int batchCount = batches.size();
        d.append(String.format(Locale.ROOT, ": %d sentences in %d batch%s of %s%d, %s (tokenizer %s)",
                usable, batchCount, batchCount == 1 ? "" : "es", fixedBatch != null ? "" : "up to ", batchSize,
                padToMax ? "padded and truncated to " + maxLength + " tokens"
                        : "truncated to " + maxLength + " tokens and padded to the longest of each batch",
                tokenizerFile));
        if (dropped > 0) d.append(String.format(Locale.ROOT, "; the last %d sentence%s left out to keep the model's "
                + "fixed batch size", dropped, dropped == 1 ? "" : "s"));
        if (usable < sentences.size() && dropped == 0)
            d.append(String.format(Locale.ROOT, "; the first %d of %d sentences", usable, sentences.size()));
        return new Dataset(batches, d.toString());
    }

    private static void checkInputs(Path text, ModelInputs inputs) {
        List<String> names = inputs.requiredNames();
        if (!names.contains("input_ids"))
            throw new DataException(text + ": text gives token ids, but the model has no input 'input_ids' (its inputs: "
                    + String.join(", ", names) + ")");
        List<String> others = new ArrayList<>();
        for (Value v : inputs.required())
            if (!TEXT_INPUTS.contains(v.name())) others.add("'" + v.name() + "' (" + ModelInputs.describe(v.type()) + ")");
        if (!others.isEmpty())
            throw new DataException(text + ": text feeds input_ids, attention_mask, token_type_ids and position_ids, "
                    + "but the model also needs " + String.join(", ", others) + "; give all inputs as .npz or .pb files");
    }

    /** The tokenizer option, else a {@code tokenizer.json} next to the model, else next to the text. */
    private static Path tokenizer(Path text, Model model, DataOptions o) {
        if (o.tokenizer() != null) {
            if (!Files.isRegularFile(o.tokenizer())) throw new DataException(o.tokenizer() + ": no such tokenizer file");
            return o.tokenizer();
        }
        List<Path> candidates = new ArrayList<>();
        if (model.location() != null && model.location().toAbsolutePath().getParent() != null)
            candidates.add(model.location().toAbsolutePath().getParent().resolve("tokenizer.json"));
        if (text.toAbsolutePath().getParent() != null)
            candidates.add(text.toAbsolutePath().getParent().resolve("tokenizer.json"));
        for (Path c : candidates) if (Files.isRegularFile(c)) return c;
        throw new DataException(text + ": text needs a Hugging Face tokenizer.json (--tokenizer); there is none next to "
                + "the model or the text");
    }

    /** The non-blank lines of {@code range}, stripped; fails on a binary file or a range past the end. */
    static List<String> sentences(Path text, LineRange range) {
        byte[] bytes = Npy.readAll(text);
        for (int i = 0; i < Math.min(bytes.length, 8192); i++)
            if (bytes[i] == 0)
                throw new DataException(text + ": not a text file (it holds NUL bytes); calibration data is .npy, "
                        + ".npz, a folder of .pb tensors, or text with one sentence per line");
        String content;
        try {
            content = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DataException(text + ": not UTF-8 text");
        }
        List<String> lines = content.lines().toList();
        if (range.from() > lines.size() || (!range.isOpen() && range.to() > lines.size()))
            throw new DataException(text + ": lines " + range + " asked for, but the file has " + lines.size() + " lines");
        List<String> out = new ArrayList<>();
        for (String line : lines.subList(range.from() - 1, Math.min(lines.size(), range.to()))) {
            String s = line.strip();
            if (!s.isEmpty()) out.add(s);
        }
        if (out.isEmpty()) throw new DataException(text + ": lines " + range + " hold no sentences");
        return out;
    }

    /** The model's text inputs from one batch of encodings, each of its input's element type. */
    private static Map<String, Tensor> tensors(Encoding[] encoded, ModelInputs inputs) {
        int batch = encoded.length;
        int length = encoded[0].getIds().length;
        long[] ids = new long[batch * length], mask = new long[ids.length], types = new long[ids.length],
                positions = new long[ids.length];
        for (int b = 0; b < batch; b++) {
            Encoding e = encoded[b];
            if (e.getIds().length != length)
                throw new IllegalStateException("the tokenizer padded sentences of one batch to different lengths");
            System.arraycopy(e.getIds(), 0, ids, b * length, length);
            System.arraycopy(e.getAttentionMask(), 0, mask, b * length, length);
            System.arraycopy(e.getTypeIds(), 0, types, b * length, length);
            for (int i = 0; i < length; i++) positions[b * length + i] = i;
        }
        Map<String, long[]> values = Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types,
                "position_ids", positions);
        long[] dims = {batch, length};
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Value v : inputs.required()) {
            DataType type = v.type() instanceof Type.Tensor t && t.elementType() != null ? t.elementType() : DataType.INT64;
            out.put(v.name(), Tensors.fromLongs(v.name(), type, dims, values.get(v.name())));
        }
        return out;
    }

    /**
     * DJL's tokenizer binding, kept offline. Before its first use: {@code ai.djl.offline} and
     * {@code OPT_OUT_TRACKING}, because every {@code HuggingFaceTokenizer.newInstance} otherwise "calls home"
     * (it asks the EC2 metadata address and a telemetry URL); the native library is extracted to Tailor's cache
     * ({@code $TAILOR_CACHE/djl}, else {@code ~/.cache/tailor/djl}) rather than {@code ~/.djl.ai}; SLF4J, which
     * DJL logs through and which has no provider here, is kept from printing its warning. Each is set only when the
     * user has not set it.
     */
    static final class Djl {
        static {
            setIfAbsent("ai.djl.offline", "true");
            setIfAbsent("OPT_OUT_TRACKING", "true");
            setIfAbsent("slf4j.internal.verbosity", "ERROR");
            if (System.getenv("ENGINE_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null)
                setIfAbsent("ENGINE_CACHE_DIR", cacheFolder().toString());
        }

        private Djl() {}

        static HuggingFaceTokenizer open(Path file, int maxLength, boolean padToMax) {
            HuggingFaceTokenizer.Builder b = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optTruncation(true)
                    .optMaxLength(maxLength);
            if (padToMax) b.optPadToMaxLength();
            else b.optPadding(true);
            try {
                return b.build();
            } catch (IOException | RuntimeException e) {
                throw new DataException(file + ": not a usable Hugging Face tokenizer.json: " + e.getMessage(), e);
            }
        }

        private static void setIfAbsent(String key, String value) {
            if (System.getProperty(key) == null) System.setProperty(key, value);
        }

        private static Path cacheFolder() {
            String env = System.getenv("TAILOR_CACHE");
            if (env != null && !env.isBlank()) return Path.of(env, "djl");
            return Path.of(System.getProperty("user.home"), ".cache", "tailor", "djl");
        }
    }
}
