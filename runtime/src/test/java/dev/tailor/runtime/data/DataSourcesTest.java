package dev.tailor.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.runtime.Comparison;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.ModelZoo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DataSources} on arrays and tensor folders: each format against real models' inputs, and every mismatch. */
class DataSourcesTest {
    private static final String CONFORMANCE = "/usr/share/libonnx-testdata/data/node/test_add";
    private static Model minilm;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readModel() {
        minilm = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
    }

    private static Dataset open(String fixture) {
        return DataSources.open(Fixtures.file(fixture), minilm, DataOptions.DEFAULTS);
    }

    private static void assertMessage(String expected, String fixture) {
        DataException e = assertThrows(DataException.class, () -> open(fixture));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void npzFeedsInputsByName() {
        for (String name : List.of("minilm.npz", "minilm_compressed.npz")) {
            Dataset d = open(name);
            assertEquals(1, d.size());
            assertEquals(Fixtures.file(name) + " (npz): 1 batch", d.description());
            Fixtures.assertSameAsNumpy("minilm_ids", d.batches().get(0).get("input_ids"));
            assertEquals(3, d.batches().get(0).size());
        }
    }

    @Test
    void dtypeMismatch() {
        assertMessage(Fixtures.file("minilm_float_ids.npz") + ": array 'input_ids' is float64 [2, 6], but the model's "
                + "input 'input_ids' is int64 [batch_size, sequence_length]", "minilm_float_ids.npz");
    }

    @Test
    void missingInput() {
        assertMessage(Fixtures.file("minilm_missing.npz") + ": no array for the model's input 'token_type_ids' "
                + "(int64 [batch_size, sequence_length])", "minilm_missing.npz");
    }

    @Test
    void arrayForAnInputThatDoesNotExist() {
        assertMessage(Fixtures.file("minilm_extra.npz") + ": array 'pixel_values' is not an input of the model "
                + "(its inputs: input_ids, attention_mask, token_type_ids)", "minilm_extra.npz");
    }

    @Test
    void rankMismatch() {
        assertMessage(Fixtures.file("minilm_rank.npz") + ": array 'input_ids' is int64 [1, 2, 6], but the model's "
                + "input 'input_ids' is int64 [batch_size, sequence_length] (rank 2)", "minilm_rank.npz");
    }

    @Test
    void symbolicDimensionsMustAgree() {
        assertMessage(Fixtures.file("minilm_lengths.npz") + ": array 'attention_mask' is int64 [2, 5], but "
                + "sequence_length is 6 in array 'input_ids' (axis 1 of input 'attention_mask')", "minilm_lengths.npz");
    }

    @Test
    void positionalArraysGetEveryProblemAndAHint() {
        String hint = "; np.savez names positional arrays arr_0, arr_1, ...: pass them by input name, as in "
                + "np.savez(file, input_ids=..., attention_mask=..., token_type_ids=...)";
        String inputs = " is not an input of the model (its inputs: input_ids, attention_mask, token_type_ids)";
        String type = " (int64 [batch_size, sequence_length])";
        assertMessage(Fixtures.file("minilm_positional.npz") + ": 6 problems:\n"
                + "  array 'arr_0'" + inputs + hint + "\n"
                + "  array 'arr_1'" + inputs + hint + "\n"
                + "  array 'arr_2'" + inputs + hint + "\n"
                + "  no array for the model's input 'input_ids'" + type + "\n"
                + "  no array for the model's input 'attention_mask'" + type + "\n"
                + "  no array for the model's input 'token_type_ids'" + type, "minilm_positional.npz");
    }

    @Test
    void npyFeedsTheOnlyInput() {
        Model gpt2 = OnnxReader.read(ExportedModels.file("gpt2_tiny"));
        Dataset d = DataSources.open(Fixtures.file("ids.npy"), gpt2, DataOptions.DEFAULTS);
        assertEquals(1, d.size());
        Fixtures.assertSameAsNumpy("ids", d.batches().get(0).get("input_ids"));
        // Recognized by its content too, whatever its name.
        Path renamed = tmp.resolve("ids.bin");
        copy(Fixtures.file("ids.npy"), renamed);
        Fixtures.assertSameAsNumpy("ids", DataSources.open(renamed, gpt2, DataOptions.DEFAULTS).batches().get(0).get("input_ids"));
    }

    @Test
    void npyForAModelWithSeveralInputsAsksForNpz() {
        assertMessage(Fixtures.file("ids.npy") + ": a .npy file holds one array, but the model has 3 inputs "
                + "(input_ids, attention_mask, token_type_ids); save them by name in an .npz file, as in np.savez(file, "
                + "input_ids=..., attention_mask=..., token_type_ids=...)", "ids.npy");
    }

    @Test
    void fixedSizesMustMatch() {
        Model cnn = OnnxReader.read(ExportedModels.file("cnn_small"));
        Path file = Fixtures.file("image16.npy");
        DataException e = assertThrows(DataException.class, () -> DataSources.open(file, cnn, DataOptions.DEFAULTS));
        assertEquals(file + ": array 'input' is float32 [1, 3, 16, 16], but the model's input 'input' is float32 "
                + "[batch, 3, 32, 32] (axis 2 must be 32)", e.getMessage());
    }

    @Test
    void batchSizeSplitsArraysAlongTheirFirstAxis() {
        Path file = Fixtures.file("minilm_rows5.npz");
        Dataset d = DataSources.open(file, minilm, DataOptions.DEFAULTS.withBatchSize(2));
        assertEquals(List.of(2L, 2L, 1L), d.batches().stream().map(b -> b.get("input_ids").dims()[0]).toList());
        ByteBuffer joined = ByteBuffer.allocate(5 * 6 * 8);
        for (Map<String, Tensor> b : d.batches()) {
            joined.put(b.get("input_ids").bytes());
            assertArrayEquals(new long[] {b.get("input_ids").dims()[0], 6}, b.get("token_type_ids").dims());
        }
        assertEquals(ByteBuffer.wrap(readAll(Fixtures.file("minilm_rows5_ids.bytes"))), joined.flip());
        assertEquals(file + " (npz): 3 batches of up to 2", d.description());

        Dataset two = DataSources.open(file, minilm, DataOptions.DEFAULTS.withBatchSize(2).withBatches(2));
        assertEquals(2, two.size());
        assertEquals(file + " (npz): 2 batches of up to 2, the first 2 of 3", two.description());
    }

    @Test
    void unnamedTensorProtosMapByPosition() {
        Path dir = Fixtures.file("pb_positional");
        Dataset d = DataSources.open(dir, minilm, DataOptions.DEFAULTS);
        assertEquals(1, d.size());
        Map<String, Tensor> b = d.batches().get(0);
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), List.copyOf(b.keySet()));
        Fixtures.assertSameAsNumpy("minilm_ids", b.get("input_ids"));
        assertEquals("input_ids", b.get("input_ids").name());
        assertEquals(dir + " (1 file): 1 batch", d.description());
    }

    @Test
    void testDataSetFoldersAreBatchesInNumericOrder() {
        Dataset d = DataSources.open(Fixtures.file("pb_sets"), minilm, DataOptions.DEFAULTS);
        // test_data_set_N holds N + 1 rows; its tensors are named, in another order than the model's inputs.
        assertEquals(List.of(1L, 2L, 3L, 11L), d.batches().stream().map(b -> b.get("input_ids").dims()[0]).toList());
        assertEquals(0, d.batches().get(3).get("token_type_ids").toLongs()[5]);
        assertEquals(101, d.batches().get(3).get("input_ids").toLongs()[0]);
    }

    @Test
    void conformanceTestCaseRunsOnOnnxRuntime() {
        Path testCase = Path.of(CONFORMANCE);
        assertTrue(Files.isDirectory(testCase), CONFORMANCE + " is missing: install libonnx-testdata (.ci/run does)");
        Model add = OnnxReader.read(testCase.resolve("model.onnx"));
        Path set = testCase.resolve("test_data_set_0");
        for (Path source : List.of(testCase, set)) {
            Dataset d = DataSources.open(source, add, DataOptions.DEFAULTS);
            assertEquals(1, d.size(), source.toString());
            Map<String, Tensor> b = d.batches().get(0);
            assertEquals(List.of("x", "y"), List.copyOf(b.keySet()));
            assertEquals(OnnxReader.readTensor(set.resolve("input_1.pb")).bytes(), b.get("y").bytes());
            try (Evaluator.Prepared p = new OrtEvaluator().prepare(add, List.of())) {
                Tensor sum = p.run(b).values().iterator().next();
                Comparison.Result r = Comparison.allClose(sum, OnnxReader.readTensor(set.resolve("output_0.pb")), 1e-6, 1e-6);
                assertTrue(r.passed(), r.toString());
            }
        }
    }

    @Test
    void folderOfArchivesGivesOneBatchEach() {
        Dataset d = DataSources.open(Fixtures.file("arrays"), minilm, DataOptions.DEFAULTS);
        assertEquals(List.of(2L, 1L), d.batches().stream().map(b -> b.get("input_ids").dims()[0]).toList());
        assertEquals(Fixtures.file("arrays") + " (2 files): 2 batches", d.description());
    }

    @Test
    void folderWithoutDataAndMissingPaths() throws IOException {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        DataException e = assertThrows(DataException.class, () -> DataSources.open(empty, minilm, DataOptions.DEFAULTS));
        assertEquals(empty + ": no input_N.pb files, test_data_set_N folders, or .npy/.npz files", e.getMessage());
        Path missing = tmp.resolve("missing.npz");
        e = assertThrows(DataException.class, () -> DataSources.open(missing, minilm, DataOptions.DEFAULTS));
        assertEquals(missing + ": no such file or folder", e.getMessage());
    }

    @Test
    void tensorProtoForAnInputTheModelLacks() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("extra"));
        for (int i = 0; i < 4; i++) copy(Fixtures.file("pb_positional/input_" + Math.min(i, 2) + ".pb"), dir.resolve("input_" + i + ".pb"));
        DataException e = assertThrows(DataException.class, () -> DataSources.open(dir, minilm, DataOptions.DEFAULTS));
        assertEquals(dir.resolve("input_3.pb") + ": the model has 3 inputs (input_ids, attention_mask, token_type_ids), "
                + "so there is no input 3", e.getMessage());
    }

    @Test
    void damagedTensorProto() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("damaged"));
        Files.writeString(dir.resolve("input_0.pb"), "not a tensor at all");
        DataException e = assertThrows(DataException.class, () -> DataSources.open(dir, minilm, DataOptions.DEFAULTS));
        assertTrue(e.getMessage().startsWith(dir.resolve("input_0.pb") + ": "), e.getMessage());
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
