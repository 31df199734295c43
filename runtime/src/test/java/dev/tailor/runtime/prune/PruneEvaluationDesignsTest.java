package dev.tailor.runtime.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.passes.cleanup.DeadCodeElimination;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.testdata.ExportedModels;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The three ways of running candidates (cached segments, the whole gated model, a rebuilt session per set) differ
 * only in cost: on the exported models (post-LN BERT, pre-LN Llama, T5 with two streams, GPT-2, ViT, PyTorch
 * encoders of both norm placements, the pre-norm one with no final norm, so its output is the last sum; synthetic
 * inputs, 4 batches), each chooses the same sublayers with the same scores, greedily and through {@code refine=swap},
 * whose exchanges restore sublayers and so run the cached design's other path; and so does {@code bound}, which
 * stops losing candidates after fewer batches.
 */
class PruneEvaluationDesignsTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());

    @ParameterizedTest
    @ValueSource(strings = {"bert_tiny", "llama_tiny", "t5_tiny", "gpt2_tiny", "vit_tiny", "torch_encoder_preln",
            "torch_encoder_postln", "torch_encoder_preln without final norm"})
    void everyDesignChoosesTheSameSublayers(String name) {
        PassResult cached = prune(name, "cached");
        PassResult gated = prune(name, "gated");
        PassResult rebuild = prune(name, "rebuild");
        PassResult bounded = prune(name, "cached, bound=true");
        for (PassResult other : List.of(gated, rebuild, bounded)) {
            assertEquals(cached.metrics().get("removed"), other.metrics().get("removed"), name);
            assertEquals(cached.metrics().get("evaluations"), other.metrics().get("evaluations"), name);
            assertClose(list(cached, "scores"), list(other, "scores"), name);
            assertEquals(cached.metrics().get("refine_swaps"), other.metrics().get("refine_swaps"), name);
            assertClose(List.of((Double) cached.metrics().get("refine_score_after")),
                    List.of((Double) other.metrics().get("refine_score_after")), name);
        }
    }

    /** Whole blocks (sets of two removals) and shortgpt (influence from the whole model's streams) alike. */
    @ParameterizedTest
    @ValueSource(strings = {"bert_tiny", "llama_tiny", "torch_encoder_preln"})
    void blockAndShortgptChooseTheSameUnderEveryDesign(String name) {
        for (String method : List.of("block", "shortgpt")) {
            PassResult cached = prune(name, "cached", "method=" + method);
            PassResult gated = prune(name, "gated", "method=" + method);
            assertEquals(cached.metrics().get("removed"), gated.metrics().get("removed"), name + " " + method);
            assertClose(list(cached, "scores"), list(gated, "scores"), name + " " + method);
        }
    }

    private static PassResult prune(String name, String evaluation) {
        return prune(name, evaluation, "refine=swap, swap_budget=20");
    }

    private static PassResult prune(String name, String evaluation, String options) {
        Model m = OnnxReader.read(ExportedModels.file(name.split(" ")[0]));
        if (name.endsWith("without final norm")) { // the output becomes the last residual sum
            Graph g = m.graph();
            Node norm = g.outputs().get(0).producer();
            assertEquals("LayerNormalization", norm.opType());
            Value sum = norm.input(0);
            assertEquals("Add", sum.producer().opType());
            g.setOutput(0, sum);
            new DeadCodeElimination().run(m, PassContext.basic());
        }
        List<PassReport> reports = new PassManager(true).run(m,
                PARSER.parse("prune(count=3, " + options + ", evaluation=" + evaluation + ")"),
                PassContext.builder().evaluator(new OrtEvaluator()).build());
        assertEquals(List.of(), Verifier.verify(m), name + " " + evaluation);
        return reports.get(reports.size() - 1).result();
    }

    @SuppressWarnings("unchecked")
    private static List<Double> list(PassResult r, String metric) {
        return (List<Double>) r.metrics().get(metric);
    }

    private static void assertClose(List<Double> a, List<Double> b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++)
            assertTrue(Math.abs(a.get(i) - b.get(i)) <= 1e-5 * Math.max(1e-3, Math.abs(a.get(i))),
                    what + ": scores " + a + " vs " + b);
    }
}
