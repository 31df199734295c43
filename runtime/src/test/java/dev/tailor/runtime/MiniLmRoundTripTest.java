package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import dev.tailor.runtime.text.WordPieceTokenizer;
import dev.tailor.testdata.ModelZoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round-trips all-MiniLM-L6-v2 (a real 90 MB BERT encoder) through the reader and writer, with weights embedded
 * and in external data, and checks that every weight is kept byte for byte and that ONNX Runtime computes
 * bit-identical outputs for real tokenized sentences.
 */
class MiniLmRoundTripTest {
    private static final String SENTENCES = "shared/data/calibration-sentences.txt";

    @TempDir
    static Path tmp;

    private static Path original;
    private static Model model;
    private static OnnxWriter.Result embedded;
    private static OnnxWriter.Result external;

    @BeforeAll
    static void writeBothForms() {
        original = ModelZoo.ALL_MINILM_L6_V2.model();
        model = OnnxReader.read(original);
        embedded = OnnxWriter.write(model, tmp.resolve("m.onnx"));
        external = OnnxWriter.write(model, tmp.resolve("x.onnx"),
                OnnxWriter.Options.defaults().withExternalDataThreshold(1024L));
    }

    @Test
    void everyInitializerKeepsItsBytes() throws IOException {
        ModelProto proto = OnnxReader.readProto(original);
        List<String> names = proto.getGraph().getInitializerList().stream().map(TensorProto::getName).toList();
        Map<String, Tensor> before = initializers(model);
        assertEquals(names, List.copyOf(before.keySet()), "the IR lists the file's initializers in file order");

        // Embedded: everything in one protobuf.
        assertEquals(0, embedded.externalTensors());
        assertNull(embedded.dataFile());
        assertTrue(Files.size(embedded.model()) > 80_000_000L, "the embedded model holds its weights");
        Model reEmbedded = OnnxReader.read(embedded.model());
        assertSameInitializers(before, initializers(reEmbedded), "m.onnx");

        // External: the weights moved to x.onnx.data, the model file is only the graph.
        assertTrue(external.externalTensors() > 0, "no tensor was written to external data");
        assertNotNull(external.dataFile());
        assertEquals(tmp.resolve("x.onnx.data"), external.dataFile());
        assertTrue(Files.size(external.model()) < 1_000_000L,
                "x.onnx should be small, is " + Files.size(external.model()) + " bytes");
        assertTrue(Files.size(external.dataFile()) > 80_000_000L);
        Model reExternal = OnnxReader.read(external.model());
        Map<String, Tensor> afterExternal = initializers(reExternal);
        assertSameInitializers(before, afterExternal, "x.onnx");
        long mapped = afterExternal.values().stream().filter(t -> t.data() instanceof MappedData).count();
        assertEquals(external.externalTensors(), mapped, "tensors read back from x.onnx.data");

        System.out.printf("all-MiniLM-L6-v2: %d initializers (%d bytes) identical after both writes; m.onnx %d bytes; "
                        + "x.onnx %d bytes + x.onnx.data %d bytes (%d external tensors)%n", before.size(),
                before.values().stream().mapToLong(Tensor::byteSize).sum(), Files.size(embedded.model()),
                Files.size(external.model()), Files.size(external.dataFile()), external.externalTensors());
    }

    @Test
    void reEmittedModelsComputeBitIdenticalOutputs() throws Exception {
        WordPieceTokenizer tokenizer = WordPieceTokenizer.fromTokenizerJson(ModelZoo.ALL_MINILM_L6_V2.tokenizer());
        List<String> sentences = sentences(3);
        WordPieceTokenizer.Batch batch = tokenizer.encodeBatch(sentences, 128);
        Map<String, Tensor> inputs = batch.tensors();
        List<String> inputNames = new ArrayList<>();
        for (Value v : model.graph().inputs()) if (v.initializer() == null) inputNames.add(v.name());
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), inputNames);

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, Tensor> reference = run(env, original, inputs);
        Map<String, Tensor> fromEmbedded = run(env, embedded.model(), inputs);
        Map<String, Tensor> fromExternal = run(env, external.model(), inputs);

        for (Map.Entry<String, Tensor> e : reference.entrySet()) {
            Tensor ref = e.getValue();
            for (Map<String, Tensor> other : List.of(fromEmbedded, fromExternal)) {
                Tensor t = other.get(e.getKey());
                Comparison.Result r = Comparison.allClose(t, ref, 0, 0);
                assertTrue(r.passed(), e.getKey() + ": " + r);
                assertEquals(0.0, r.maxAbsError(), e.getKey());
                assertEquals(ref.bytes(), t.bytes(), e.getKey() + " differs in its bits");
            }
        }
        Tensor hidden = reference.values().iterator().next();
        System.out.printf("all-MiniLM-L6-v2 on %d sentences (%d tokens each, padded): outputs %s of the original, "
                        + "m.onnx and x.onnx are bit-identical (max abs error 0)%n", batch.batchSize(),
                batch.sequenceLength(), reference.values());
        assertEquals(batch.batchSize(), hidden.dims()[0]);
        assertEquals(batch.sequenceLength(), hidden.dims()[1]);
    }

    @Test
    void tokenizerMatchesBertUncased() {
        WordPieceTokenizer tokenizer = WordPieceTokenizer.fromTokenizerJson(ModelZoo.ALL_MINILM_L6_V2.tokenizer());
        assertEquals(30522, tokenizer.vocabSize());
        // Ids from bert-base-uncased's vocabulary, which all-MiniLM-L6-v2 shares.
        assertArrayEquals(new int[] {101, 7592, 1010, 2088, 999, 102}, tokenizer.encode("Hello, world!", 128));
        assertEquals(List.of("hello", ",", "world", "!"), tokenizer.tokenize("  HÉLLO,\tWorld! "));
        assertEquals(List.of("token", "##izer", "##s"), tokenizer.tokenize("tokenizers"));
        assertEquals(List.of("[UNK]"), tokenizer.tokenize("\u2603")); // a snowman is not in the vocabulary
        int[] truncated = tokenizer.encode("one two three four five", 4);
        assertArrayEquals(new int[] {101, tokenizer.id("one"), tokenizer.id("two"), 102}, truncated);
    }

    /** Runs the model file on ONNX Runtime (external data resolved next to it); outputs by name, in order. */
    private static Map<String, Tensor> run(OrtEnvironment env, Path file, Map<String, Tensor> inputs)
            throws OrtException {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(file.toString(), options)) {
            for (Map.Entry<String, Tensor> e : inputs.entrySet())
                feeds.put(e.getKey(), OrtTensors.toOrt(env, e.getValue()));
            try (OrtSession.Result result = session.run(feeds)) {
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result)
                    out.put(e.getKey(), OrtTensors.fromOrt(e.getKey(), (OnnxTensor) e.getValue()));
                return out;
            }
        } finally {
            for (OnnxTensor t : feeds.values()) t.close();
        }
    }

    private static Map<String, Tensor> initializers(Model m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Value v : m.graph().initializers()) out.put(v.name(), v.initializer());
        return out;
    }

    private static void assertSameInitializers(Map<String, Tensor> before, Map<String, Tensor> after, String file) {
        assertEquals(List.copyOf(before.keySet()), List.copyOf(after.keySet()), file + ": initializer names");
        for (Map.Entry<String, Tensor> e : before.entrySet()) {
            Tensor a = e.getValue();
            Tensor b = after.get(e.getKey());
            assertEquals(a.dataType(), b.dataType(), file + ": type of " + e.getKey());
            assertArrayEquals(a.dims(), b.dims(), file + ": shape of " + e.getKey());
            assertEquals(a.bytes(), b.bytes(), file + ": bytes of " + e.getKey());
        }
    }

    /** The first {@code n} non-blank lines of the shared calibration text. */
    private static List<String> sentences(int n) throws IOException {
        Path file = findShared();
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) out.add(line.strip());
            if (out.size() == n) break;
        }
        assertEquals(n, out.size(), file + " has fewer than " + n + " sentences");
        return out;
    }

    /**
     * {@code shared/data/calibration-sentences.txt}, looked for in the working directory and each folder above it
     * (the repository's own {@code shared/}, or the copy next to the repository root that CI provides).
     */
    static Path findShared() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(SENTENCES);
            if (Files.isRegularFile(candidate)) return candidate;
        }
        fail("cannot find " + SENTENCES + " in " + Path.of("").toAbsolutePath() + " or any folder above it");
        return null;
    }
}
