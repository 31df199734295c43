package dev.tailor.runtime.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.Comparison;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.data.SyntheticData;
import dev.tailor.runtime.text.WordPieceTokenizer;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse_norms} on real models: every residual norm becomes ONNX Runtime's Skip*LayerNormalization and the
 * outputs stay those of the original to float rounding, in post-norm (BERT, MiniLM), pre-norm (GPT-2, whose sums
 * come out of the fused operator) and RMSNorm (Llama, T5) models.
 */
class FuseNormsOnOrtTest {
    private final OrtEvaluator ort = new OrtEvaluator();

    @ParameterizedTest
    @CsvSource({
            // model, norms fused, of them alone (on no residual Add: the input is its own skip), operator
            "bert_tiny, 5, 0, SkipLayerNormalization", // embeddings (position rows broadcast over the batch) + 2 x 2
            "torch_encoder_postln, 4, 0, SkipLayerNormalization",
            "torch_encoder_preln, 5, 1, SkipLayerNormalization", // 2 x 2 + final; the first reads the graph input
            "gpt2_tiny, 5, 0, SkipLayerNormalization", // 2 x 2 + final; the first reads token + position embeddings
            "llama_tiny, 5, 1, SkipSimplifiedLayerNormalization", // the first reads the token embeddings
            "t5_tiny, 12, 2, SkipSimplifiedLayerNormalization", // each stack's first reads its embeddings
            "llama_tiny_kv, 5, 1, SkipSimplifiedLayerNormalization", // sums read on by the cache-fed blocks
            "vit_tiny, 5, 0, SkipLayerNormalization"}) // the first adds the constant position embeddings as skip
    void exportedModelsKeepTheirOutputs(String name, int expected, int alone, String op) {
        Path file = ExportedModels.file(name);
        Model original = OnnxReader.read(file);
        Model model = OnnxReader.read(file);
        PassReport r = run(model, "fuse_norms");
        System.out.printf("%s: %s%n", name, r.result().metrics());
        assertEquals(expected, r.result().metrics().get("norms_fused"), name + ": " + r.result().metrics());
        assertEquals(alone, r.result().metrics().get("norms_alone"), name + ": " + r.result().metrics());
        assertEquals(List.of(), r.result().metrics().get("norms_left"), name + ": " + r.result().metrics());
        assertEquals(expected, count(model, op), name + " " + op + " nodes");
        assertEquals(Anatomy.norms(original).size(), Anatomy.norms(model).size(), "the anatomy finds every norm");
        assertEquals(ids(original), ids(model), "the anatomy reads the same sublayers");
        assertNothingDangles(model);
        Map<String, Tensor> inputs = SyntheticData.batch(original, 2, 8, 7);
        compare(name, original, model, inputs, 1e-4);
    }

    private static List<String> ids(Model m) {
        return Anatomy.of(m).sublayers().stream().map(s -> s.id() + ":" + s.kind().id()).toList();
    }

    @Test
    void miniLmOnRealTextFusesAll13WithTheirBiases() throws Exception {
        Path file = ModelZoo.ALL_MINILM_L6_V2.model();
        WordPieceTokenizer tok = WordPieceTokenizer.fromTokenizerJson(ModelZoo.ALL_MINILM_L6_V2.tokenizer());
        List<String> lines = Files.readAllLines(dev.tailor.runtime.data.SharedCorpus.find());
        Map<String, Tensor> inputs = tok.encodeBatch(lines.subList(3000, 3008), 64).tensors();
        Model original = OnnxReader.read(file);
        Model model = OnnxReader.read(file);
        PassReport r = run(model, "fuse_norms");
        System.out.println("MiniLM: " + r.result().metrics());
        assertEquals(13, r.result().metrics().get("norms_fused"));
        assertEquals(12, r.result().metrics().get("biases_fused"), "each block's output projection bias joins");
        assertEquals(13, count(model, "SkipLayerNormalization"));
        assertEquals(0, count(model, "ReduceMean"), "no written-out norm is left");
        assertNothingDangles(model);
        compare("MiniLM", original, model, inputs, 1e-4);
        // the anatomy still reads the fused model: six blocks, each with attention and FFN
        assertEquals(6, Anatomy.of(model).blocks().size());
    }

    private PassReport run(Model model, String pipeline) {
        List<PassReport> reports = PassManager.fromSystemProperties().run(model,
                new PipelineParser(PassRegistry.load()).parse(pipeline), PassContext.builder().evaluator(ort).build());
        return reports.get(reports.size() - 1);
    }

    private void compare(String name, Model original, Model model, Map<String, Tensor> inputs, double atol) {
        try (Evaluator.Prepared a = ort.prepare(original, List.of()); Evaluator.Prepared b = ort.prepare(model, List.of())) {
            Map<String, Tensor> expected = a.run(inputs);
            Map<String, Tensor> actual = b.run(inputs);
            assertEquals(expected.keySet(), actual.keySet());
            for (var e : expected.entrySet()) {
                Comparison.Result c = Comparison.allClose(actual.get(e.getKey()), e.getValue(), 1e-4, atol);
                System.out.printf("  %s %s max abs error %.3g%n", name, e.getKey(), c.maxAbsError());
                assertTrue(c.passed(), name + " output " + e.getKey() + ": " + c);
            }
        }
    }

    /** Every node's output is read: the written-out norms, their constants and the residual adds are gone. */
    static void assertNothingDangles(Model model) {
        for (Node n : model.graph().nodes())
            assertTrue(n.outputs().stream().anyMatch(o -> o != null && (o.hasUses() || o.isGraphOutput())),
                    "left dangling: " + n);
    }

    static int count(Model m, String op) {
        int n = 0;
        for (Node x : m.graph().nodes()) if (x.opType().equals(op)) n++;
        return n;
    }
}
