package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.data.SyntheticData;
import dev.tailor.runtime.text.WordPieceTokenizer;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.ModelZoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cleanup pipeline on real exported models: fewer nodes, the same outputs on ONNX Runtime. */
class CleanupOnRealModelsTest {
    static final String CLEANUP = "fixpoint { identity | shapes | fold | cse | dce }";

    /** Sentences from the evaluation split (the last 1,000 lines) of the shared text. */
    static List<String> evaluationSentences(int n) throws IOException {
        List<String> lines = Files.readAllLines(MiniLmRoundTripTest.findShared());
        return lines.subList(3000, 3000 + n).stream().map(String::strip).toList();
    }

    @Test
    void miniLmCleansUpWithOutputsUnchanged() throws IOException {
        Path file = ModelZoo.ALL_MINILM_L6_V2.model();
        WordPieceTokenizer tok = WordPieceTokenizer.fromTokenizerJson(ModelZoo.ALL_MINILM_L6_V2.tokenizer());
        Map<String, Tensor> inputs = tok.encodeBatch(evaluationSentences(4), 64).tensors();

        Model original = OnnxReader.read(file);
        int before = original.graph().nodeCount();
        Model model = OnnxReader.read(file);
        OrtEvaluator ort = new OrtEvaluator();
        List<PassReport> reports = PassManager.fromSystemProperties().run(model,
                new PipelineParser(PassRegistry.load()).parse(CLEANUP),
                PassContext.builder().evaluator(ort).build());
        int after = model.graph().nodeCount();
        System.out.printf("cleanup on all-MiniLM-L6-v2: %d nodes -> %d nodes (%d pass runs)%n", before, after,
                reports.size());
        for (PassReport r : reports) System.out.printf("  %-10s %6.1f ms %s%n", r.pass(), r.millis(), r.result().metrics());

        Tensor expected = run(ort, original, inputs);
        Tensor actual = run(ort, model, inputs);
        Comparison.Result c = Comparison.allClose(actual, expected, 0, 1e-5);
        System.out.println("  max abs error " + c.maxAbsError());
        assertTrue(c.passed(), c.toString());
        assertTrue(after < before, "cleanup removes nodes from the exported graph");
    }

    @Test
    void torchExportsCleanUpWithOutputsUnchanged() {
        OrtEvaluator ort = new OrtEvaluator();
        StringBuilder table = new StringBuilder("| model | nodes | after cleanup | max abs error |\n|---|---|---|---|\n");
        for (String name : ExportedModels.NAMES) {
            Path file = ExportedModels.file(name);
            Model original = OnnxReader.read(file);
            Model model = OnnxReader.read(file);
            PassManager.fromSystemProperties().run(model, new PipelineParser(PassRegistry.load()).parse(CLEANUP),
                    PassContext.builder().evaluator(ort).build());
            Map<String, Tensor> inputs = SyntheticData.batch(original, 2, 8, 7);
            double worst = 0;
            try (Evaluator.Prepared a = ort.prepare(original, List.of()); Evaluator.Prepared b = ort.prepare(model, List.of())) {
                Map<String, Tensor> expected = a.run(inputs);
                Map<String, Tensor> actual = b.run(inputs);
                for (var e : expected.entrySet()) {
                    Comparison.Result c = Comparison.allClose(actual.get(e.getKey()), e.getValue(), 0, 1e-5);
                    assertTrue(c.passed(), name + " output " + e.getKey() + ": " + c);
                    worst = Math.max(worst, c.maxAbsError());
                }
            }
            table.append(String.format(java.util.Locale.ROOT, "| %s | %d | %d | %.1e |%n", name,
                    original.graph().nodeCount(), model.graph().nodeCount(), worst));
            assertTrue(model.graph().nodeCount() <= original.graph().nodeCount(), name);
        }
        System.out.print(table);
    }

    private static Tensor run(Evaluator ort, Model m, Map<String, Tensor> inputs) {
        try (Evaluator.Prepared p = ort.prepare(m, List.of())) {
            Map<String, Tensor> out = p.run(inputs);
            assertEquals(m.graph().outputs().size(), out.size());
            return out.get(m.graph().outputs().get(0).name());
        }
    }
}
