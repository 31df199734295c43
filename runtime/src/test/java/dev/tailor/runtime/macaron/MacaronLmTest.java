package dev.tailor.runtime.macaron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.Perplexity;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.testdata.TrainedLm;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What split and duplicate cost on the trained pre-LN decoder lm_tiny: neuron energies from its calibration rows,
 * perplexity per byte on its evaluation rows against the original's. Prints the README's table.
 */
class MacaronLmTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());
    private static final Sessions.Options CPU = Sessions.Options.of(ExecutionProvider.CPU);
    static final List<String> SETTINGS = List.of("mode=exact", "mode=split, fraction=0.1", "mode=split, fraction=0.25",
            "mode=split, fraction=0.5", "mode=duplicate, weights=shared");

    record Row(double perplexity, PassResult result) {}

    private static final Map<String, Row> rows = new LinkedHashMap<>();
    private static double original;

    @BeforeAll
    static void rewriteAll() {
        Model lm = OnnxReader.read(TrainedLm.model());
        Dataset calibration = DataSources.open(TrainedLm.calibration(), lm, DataOptions.DEFAULTS.withBatchSize(16));
        Dataset eval = DataSources.open(TrainedLm.evaluation(), lm, DataOptions.DEFAULTS.withBatchSize(64));
        original = Perplexity.of(lm, eval.batches(), CPU).perplexity();
        PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(calibration).build();
        for (String setting : SETTINGS) {
            Model m = OnnxReader.read(TrainedLm.model());
            PassResult r = new PassManager(false).run(m, PARSER.parse("macaron(" + setting + ")"), ctx).get(0).result();
            assertEquals(List.of(), Verifier.verify(m), setting);
            rows.put(setting, new Row(Perplexity.of(m, eval.batches(), CPU).perplexity(), r));
        }
        System.out.printf("lm_tiny, calibration rows (first %d batches of 16), evaluation rows; original perplexity %.4f%n"
                + "| setting | params | perplexity | change | calib. rel. L2 change (logits) | energy moved per FFN |%n"
                + "|---|---|---|---|---|---|%n", 4, original);
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            Map<String, Object> m = e.getValue().result.metrics();
            double p = e.getValue().perplexity;
            System.out.printf("| %s | %.3fM -> %.3fM | %.4f | %+.2f%% | %.4f | %s |%n", e.getKey(),
                    ((Number) m.get("parameters_before")).doubleValue() / 1e6,
                    ((Number) m.get("parameters_after")).doubleValue() / 1e6, p, 100 * (p / original - 1),
                    ((Number) m.get("relative_l2_change")).doubleValue(),
                    MacaronMiniLmFidelityTest.shareRange(m.get("moved_energy_share")));
        }
    }

    @Test
    void exactKeepsThePerplexity() {
        assertEquals(original, rows.get("mode=exact").perplexity, 1e-5 * original);
    }

    @Test
    void splitCostsLittleAndGrowsWithTheFractionMoved() {
        double p10 = rows.get("mode=split, fraction=0.1").perplexity;
        double p25 = rows.get("mode=split, fraction=0.25").perplexity;
        double p50 = rows.get("mode=split, fraction=0.5").perplexity;
        assertTrue(original < p10 && p10 < p25 && p25 < p50, original + " " + p10 + " " + p25 + " " + p50);
        assertTrue(p10 < 1.05 * original, "moving 10% of the neurons costs under 5% perplexity: " + p10);
    }

    @Test
    void duplicateChangesTheFunctionMeasurably() {
        double p = rows.get("mode=duplicate, weights=shared").perplexity;
        assertTrue(p > original * 1.001, p + " vs " + original);
    }
}
