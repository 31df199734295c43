package dev.tailor.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.runtime.text.WordPieceTokenizer;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.ModelZoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text tokenized with all-MiniLM-L6-v2's tokenizer.json by the Hugging Face tokenizers library (DJL). */
class TextDataTest {
    private static final String SENTENCES = "shared/data/calibration-sentences.txt";
    private static Model minilm;
    private static Path tokenizer;
    private static Path corpus;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        minilm = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        tokenizer = ModelZoo.ALL_MINILM_L6_V2.tokenizer();
        corpus = findShared();
    }

    private static DataOptions text() {
        return DataOptions.DEFAULTS.withTokenizer(tokenizer);
    }

    @Test
    void matchesTailorsOwnWordPieceTokenizer() throws IOException {
        Dataset d = DataSources.open(corpus, minilm, text().withLines(LineRange.parse("1..20")));
        assertEquals(List.of(8L, 8L, 4L), d.batches().stream().map(b -> b.get("input_ids").dims()[0]).toList());
        assertEquals(corpus + " lines 1..20: 20 sentences in 3 batches of up to 8, truncated to 128 tokens and padded "
                + "to the longest of each batch (tokenizer " + tokenizer + ")", d.description());

        // The same sentences through the project's own BERT WordPiece implementation: the same ids, mask and types.
        List<String> lines = Files.readAllLines(corpus).subList(0, 20).stream().map(String::strip).toList();
        WordPieceTokenizer wordPiece = WordPieceTokenizer.fromTokenizerJson(tokenizer);
        for (int b = 0; b < 3; b++) {
            Map<String, Tensor> batch = d.batches().get(b);
            Map<String, Tensor> expected = wordPiece.encodeBatch(lines.subList(b * 8, Math.min(20, b * 8 + 8)), 128).tensors();
            for (String input : List.of("input_ids", "attention_mask", "token_type_ids")) {
                assertArrayEquals(expected.get(input).dims(), batch.get(input).dims(), "batch " + b + " " + input);
                assertArrayEquals(expected.get(input).toLongs(), batch.get(input).toLongs(), "batch " + b + " " + input);
            }
        }
    }

    @Test
    void calibrationAndEvaluationSplitsOfTheSharedCorpus() throws IOException {
        List<String> all = Files.readAllLines(corpus);
        assertEquals(4000, all.size());
        long t0 = System.nanoTime();
        Dataset calibration = DataSources.open(corpus, minilm, text().withLines(LineRange.CALIBRATION));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Dataset evaluation = DataSources.open(corpus, minilm, text().withLines(LineRange.parse("evaluation")));
        assertEquals(3000, rows(calibration));
        assertEquals(1000, rows(evaluation));
        assertEquals(375, calibration.size());
        // The evaluation split starts at line 3001.
        WordPieceTokenizer wordPiece = WordPieceTokenizer.fromTokenizerJson(tokenizer);
        long[] first = evaluation.batches().get(0).get("input_ids").toLongs();
        int[] expected = wordPiece.encode(all.get(3000).strip(), 128);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], first[i], "token " + i + " of line 3001");
        System.out.printf("calibration split: %d sentences tokenized into %d batches in %d ms%n", rows(calibration),
                calibration.size(), ms);
    }

    @Test
    void truncatesAndPadsToTheMaximumLength() {
        Dataset d = DataSources.open(corpus, minilm, text().withLines(LineRange.parse("1..16")).withMaxLength(12)
                .withPadding(DataOptions.Padding.MAX_LENGTH));
        for (Map<String, Tensor> b : d.batches()) {
            assertArrayEquals(new long[] {8, 12}, b.get("input_ids").dims());
            long[] ids = b.get("input_ids").toLongs();
            for (int row = 0; row < 8; row++) {
                assertEquals(101, ids[row * 12], "[CLS] first");
                assertTrue(ids[row * 12 + 11] == 102 || ids[row * 12 + 11] == 0, "[SEP] or [PAD] last");
            }
        }
        Dataset longest = DataSources.open(corpus, minilm, text().withLines(LineRange.parse("1..16")).withMaxLength(12));
        assertTrue(longest.batches().stream().allMatch(b -> b.get("input_ids").dims()[1] <= 12));
    }

    @Test
    void fixedModelSizesWin() {
        Model fixed = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        for (Value v : fixed.graph().inputs()) if (v.initializer() == null) v.setType(Type.tensor(DataType.INT64, 2, 16));
        Dataset d = DataSources.open(corpus, fixed, text().withLines(LineRange.parse("1..5")));
        assertEquals(2, d.size());
        for (Map<String, Tensor> b : d.batches()) assertArrayEquals(new long[] {2, 16}, b.get("attention_mask").dims());
        assertTrue(d.description().endsWith("; the last 1 sentence left out to keep the model's fixed batch size"),
                d.description());
        DataException e = assertThrows(DataException.class,
                () -> DataSources.open(corpus, fixed, text().withLines(LineRange.parse("1..5")).withBatchSize(3)));
        assertEquals(corpus + ": the model's batch size is fixed at 2 (input 'input_ids' is int64 [2, 16]), so batches "
                + "of 3 do not fit", e.getMessage());
    }

    @Test
    void feedsPositionIdsAndTheInputsElementTypes() {
        Model m = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        m.graph().addInput(new Value("position_ids", Type.tensor(DataType.INT32, "batch_size", "sequence_length")));
        Dataset d = DataSources.open(corpus, m, text().withLines(LineRange.parse("1..2")));
        Tensor positions = d.batches().get(0).get("position_ids");
        assertEquals(DataType.INT32, positions.dataType());
        int length = (int) positions.dims()[1];
        int[] values = new int[2 * length];
        positions.bytes().asIntBuffer().get(values);
        for (int i = 0; i < values.length; i++) assertEquals(i % length, values[i]);
    }

    @Test
    void findsTokenizerJsonNextToTheText() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("corpus"));
        Path file = Files.writeString(dir.resolve("sentences.txt"), "Hello, world!\n\n  Tokenizers split words.  \n");
        Files.copy(tokenizer, dir.resolve("tokenizer.json"));
        Dataset d = DataSources.open(file, minilm, DataOptions.DEFAULTS);
        assertEquals(1, d.size());
        // Two sentences (the blank line skipped), padded to the longer: [CLS] token ##izer ##s split words . [SEP]
        assertArrayEquals(new long[] {2, 8}, d.batches().get(0).get("input_ids").dims());
        assertArrayEquals(new long[] {101, 7592, 1010, 2088, 999, 102, 0, 0}, java.util.Arrays.copyOf(
                d.batches().get(0).get("input_ids").toLongs(), 8));
    }

    @Test
    void textErrors() throws IOException {
        Path file = Files.writeString(tmp.resolve("five.txt"), "one\ntwo\nthree\nfour\nfive\n");
        assertMessage(file + ": text needs a Hugging Face tokenizer.json (--tokenizer); there is none next to the model "
                + "or the text", file, minilm, DataOptions.DEFAULTS);
        assertMessage(file + ": lines 4..9 asked for, but the file has 5 lines", file, minilm,
                text().withLines(LineRange.parse("4..9")));
        Model cnn = OnnxReader.read(ExportedModels.file("cnn_small"));
        assertMessage(file + ": text gives token ids, but the model has no input 'input_ids' (its inputs: input)", file,
                cnn, text());
        Model kv = OnnxReader.read(ExportedModels.file("llama_tiny_kv"));
        String kvType = " (float32 [batch, 2, past_sequence, 16])";
        assertMessage(file + ": text feeds input_ids, attention_mask, token_type_ids and position_ids, but the model also "
                + "needs 'past_key_values.0.key'" + kvType + ", 'past_key_values.0.value'" + kvType
                + ", 'past_key_values.1.key'" + kvType + ", 'past_key_values.1.value'" + kvType
                + "; give all inputs as .npz or .pb files", file, kv, text());
        Path binary = Files.write(tmp.resolve("data.bin"), new byte[] {1, 2, 0, 3});
        assertMessage(binary + ": not a text file (it holds NUL bytes); calibration data is .npy, .npz, a folder of .pb "
                + "tensors, or text with one sentence per line", binary, minilm, text());
        Path latin1 = Files.write(tmp.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertMessage(latin1 + ": not UTF-8 text", latin1, minilm, text());
        Path notJson = Files.writeString(tmp.resolve("tokenizer.json"), "{ this is not json");
        DataException e = assertThrows(DataException.class,
                () -> DataSources.open(file, minilm, DataOptions.DEFAULTS.withTokenizer(notJson)));
        assertTrue(e.getMessage().startsWith(notJson + ": not a usable Hugging Face tokenizer.json: "), e.getMessage());
    }

    /**
     * Every {@code HuggingFaceTokenizer.newInstance} runs DJL's {@code Ec2Utils.callHome}, which asks the EC2
     * metadata address and a telemetry URL (over {@code Proxy.NO_PROXY}, so no proxy selector sees it) unless DJL is
     * offline or tracking is opted out; it stamps {@code lastCheckIn} before its first request. The stamp must stay
     * unset: callHome returned before sending anything.
     */
    @Test
    void tokenizingMakesNoNetworkRequest() throws ReflectiveOperationException {
        DataSources.open(corpus, minilm, text().withLines(LineRange.parse("1..3")));
        assertTrue(ai.djl.util.Utils.isOfflineMode(), "DJL is offline");
        assertEquals("true", ai.djl.util.Utils.getEnvOrSystemProperty("OPT_OUT_TRACKING"));
        java.lang.reflect.Field lastCheckIn = ai.djl.util.Ec2Utils.class.getDeclaredField("lastCheckIn");
        lastCheckIn.setAccessible(true);
        assertEquals(0L, lastCheckIn.getLong(null), "DJL's callHome went past its offline check");
    }

    private static long rows(Dataset d) {
        return d.batches().stream().mapToLong(b -> b.get("input_ids").dims()[0]).sum();
    }

    private static void assertMessage(String expected, Path file, Model model, DataOptions options) {
        DataException e = assertThrows(DataException.class, () -> DataSources.open(file, model, options));
        assertEquals(expected, e.getMessage());
    }

    /** The shared corpus, in the working directory or a folder above it (CI puts shared/ next to the repository). */
    static Path findShared() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(SENTENCES);
            if (Files.isRegularFile(candidate)) return candidate;
        }
        return fail("cannot find " + SENTENCES + " in " + Path.of("").toAbsolutePath() + " or any folder above it");
    }
}
