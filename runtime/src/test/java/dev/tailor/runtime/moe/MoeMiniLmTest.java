package dev.tailor.runtime.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.EmbeddingAgreement;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.runtime.quantize.QuantizeOnOrtTest;
import dev.tailor.testdata.ModelZoo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dense2MoE on all-MiniLM-L6-v2 with real text: every FFN to 8 experts, calibrated on 32 sentences of the
 * calibration split, measured on 100 sentences of the evaluation split against the original (mean-pooled
 * embedding cosine, top-10 neighbour agreement). Loose bounds only; the README's table comes from
 * {@code tools/bench/run moe}.
 */
class MoeMiniLmTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());
    private static final Map<Integer, EmbeddingAgreement.Result> agreement = new LinkedHashMap<>();
    private static final Map<Integer, List<Map<String, Object>>> sublayers = new LinkedHashMap<>();

    @BeforeAll
    static void convert() {
        Model original = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        DataOptions text = DataOptions.DEFAULTS.withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer()).withBatchSize(32);
        Dataset calibration = DataSources.open(QuantizeOnOrtTest.sentences(), original,
                text.withLines(new LineRange(1, 32)).withMaxLength(64));
        Dataset eval = DataSources.open(QuantizeOnOrtTest.sentences(), original,
                text.withLines(new LineRange(3001, 3100)));
        Sessions.Options cpu = Sessions.Options.of(ExecutionProvider.CPU);
        float[][] reference = EmbeddingAgreement.pooled(original, eval.batches(), cpu);
        PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(calibration).build();
        for (int k : new int[] {6, 2}) {
            Model m = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
            List<PassReport> r = new PassManager(false).run(m, PARSER.parse("moe(experts=8, top_k=" + k
                    + ", shared=0.25, compensate=true, form=sparse)"), ctx);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> rows = (List<Map<String, Object>>) r.get(0).result().metrics().get("sublayers");
            sublayers.put(k, rows);
            agreement.put(k, EmbeddingAgreement.compare(reference, EmbeddingAgreement.pooled(m, eval.batches(), cpu), 10));
        }
        System.out.println("MiniLM moe: " + agreement);
    }

    @Test
    void moreActiveExpertsKeepTheEmbeddingsCloser() {
        EmbeddingAgreement.Result six = agreement.get(6), two = agreement.get(2);
        assertTrue(six.pooledCosineMean() > 0.9, "top-6 of 8: " + six);
        assertTrue(two.pooledCosineMean() > 0.6, "top-2 of 8: " + two);
        assertTrue(six.pooledCosineMean() > two.pooledCosineMean(), six + " vs " + two);
        assertTrue(six.neighbourAgreement() > two.neighbourAgreement(), six + " vs " + two);
    }

    @Test
    void routersBeatChanceOnHeldOutTokens() {
        for (int k : new int[] {6, 2}) {
            assertEquals(6, sublayers.get(k).size());
            for (Map<String, Object> row : sublayers.get(k)) {
                double accuracy = (Double) row.get("router_accuracy");
                // A random pick of k of 8 experts hits k/8 of the true top k on average.
                assertTrue(accuracy > k / 8.0 + 0.1, k + ": " + row);
            }
        }
    }
}
