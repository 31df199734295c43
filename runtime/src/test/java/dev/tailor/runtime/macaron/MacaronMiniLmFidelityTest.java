package dev.tailor.runtime.macaron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.EmbeddingAgreement;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.runtime.data.SharedCorpus;
import dev.tailor.testdata.ModelZoo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What split and duplicate cost on all-MiniLM-L6-v2 (post-LN): neuron energies from 64 calibration sentences
 * (lines 1..32), fidelity of the mean-pooled embeddings on 64 evaluation sentences (lines 3001..3064) against the
 * original: per-sentence cosine and top-10 neighbour agreement. Prints the README's table.
 */
class MacaronMiniLmFidelityTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());
    private static final Sessions.Options CPU = Sessions.Options.of(ExecutionProvider.CPU);
    static final List<String> SETTINGS = List.of("mode=split, fraction=0.1", "mode=split, fraction=0.25",
            "mode=duplicate, weights=shared", "mode=duplicate, weights=copied");

    record Row(EmbeddingAgreement.Result agreement, PassResult result, float[][] pooled) {}

    private static final Map<String, Row> rows = new LinkedHashMap<>();

    @BeforeAll
    static void rewriteAll() {
        Model original = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        DataOptions text = DataOptions.DEFAULTS.withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer());
        Dataset calibration = DataSources.open(SharedCorpus.find(), original,
                text.withLines(new LineRange(1, 32)).withMaxLength(64).withBatchSize(16));
        Dataset eval = DataSources.open(SharedCorpus.find(), original,
                text.withLines(new LineRange(3001, 3064)).withBatchSize(32));
        float[][] reference = EmbeddingAgreement.pooled(original, eval.batches(), CPU);
        PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(calibration).build();
        for (String setting : SETTINGS) {
            Model m = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
            PassResult r = new PassManager(false).run(m, PARSER.parse("macaron(" + setting + ")"), ctx).get(0).result();
            assertEquals(List.of(), Verifier.verify(m), setting);
            Anatomy a = Anatomy.of(m);
            for (Block b : a.blocks())
                assertEquals(List.of("ffn", "attn", "ffn"), b.sublayers().stream().map(s -> s.kind().id()).toList(),
                        setting + ": " + a);
            float[][] pooled = EmbeddingAgreement.pooled(m, eval.batches(), CPU);
            rows.put(setting, new Row(EmbeddingAgreement.compare(reference, pooled, 10), r, pooled));
        }
        System.out.println("all-MiniLM-L6-v2, calibration lines 1..32, evaluation lines 3001..3064\n| setting | params "
                + "| pooled cos (mean / min) | top-10 agreement | calib. rel. L2 change | energy moved per FFN |\n"
                + "|---|---|---|---|---|---|");
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            Map<String, Object> m = e.getValue().result.metrics();
            EmbeddingAgreement.Result g = e.getValue().agreement;
            System.out.printf("| %s | %.2fM -> %.2fM | %.5f / %.5f | %.3f | %.4f | %s |%n", e.getKey(),
                    ((Number) m.get("parameters_before")).doubleValue() / 1e6,
                    ((Number) m.get("parameters_after")).doubleValue() / 1e6, g.pooledCosineMean(), g.pooledCosineMin(),
                    g.neighbourAgreement(), ((Number) m.get("relative_l2_change")).doubleValue(),
                    shareRange(m.get("moved_energy_share")));
        }
    }

    /** "0.1% .. 1.4%" from split's per-FFN shares of calibration energy moved, "-" for other modes. */
    static String shareRange(Object shares) {
        if (!(shares instanceof List<?> l) || l.isEmpty()) return "-";
        double lo = 1, hi = 0;
        for (Object o : l) {
            double v = ((Number) o).doubleValue();
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return String.format(java.util.Locale.ROOT, "%.1f%% .. %.1f%%", 100 * lo, 100 * hi);
    }

    @Test
    void splitCostsGrowWithTheFractionMoved() {
        double c10 = rows.get("mode=split, fraction=0.1").agreement.pooledCosineMean();
        double c25 = rows.get("mode=split, fraction=0.25").agreement.pooledCosineMean();
        assertTrue(c10 > c25, c10 + " " + c25);
        assertTrue(c10 > 0.95, "moving the 10% least energetic neurons keeps most of the embeddings: " + c10);
    }

    @Test
    void duplicateSharedAndCopiedComputeTheSameWithDifferentStorage() {
        Row shared = rows.get("mode=duplicate, weights=shared");
        Row copied = rows.get("mode=duplicate, weights=copied");
        for (int i = 0; i < shared.pooled.length; i++)
            for (int h = 0; h < shared.pooled[i].length; h++)
                assertEquals(shared.pooled[i][h], copied.pooled[i][h], 1e-4);
        long before = ((Number) shared.result.metrics().get("parameters_before")).longValue();
        long sharedAfter = ((Number) shared.result.metrics().get("parameters_after")).longValue();
        long copiedAfter = ((Number) copied.result.metrics().get("parameters_after")).longValue();
        // shared adds only the halved down matrices' biases' worth beyond them; copied a whole FFN and norm per block
        assertTrue(sharedAfter < copiedAfter, sharedAfter + " vs " + copiedAfter);
        assertTrue(sharedAfter >= before, "nothing is lost");
    }
}
