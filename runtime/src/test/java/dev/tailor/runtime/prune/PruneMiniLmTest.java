package dev.tailor.runtime.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.passes.prune.Prune;
import dev.tailor.runtime.EmbeddingAgreement;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The must-show of issue 13 on all-MiniLM-L6-v2 (6 post-LN blocks, 12 sublayers): remove 3 and 4 sublayers with
 * finercut, block, shortgpt and reverse, calibrated on 16 sentences (lines 1..16, at most 64 tokens), and measure
 * pooled-embedding cosine and top-10 neighbour agreement against the original on 100 held-out sentences (lines
 * 3001..3100). Every pruned model must pass the verifier, run on ONNX Runtime and lose exactly the parameters of
 * the removed branches.
 */
class PruneMiniLmTest {
    private static final String SENTENCES = "shared/data/calibration-sentences.txt";
    /** finercut may trail block by this much pooled cosine (calibration is 16 sentences, evaluation 100). */
    private static final double NOISE = 0.01;

    record Row(String method, int count, List<String> removed, double calScore, long paramsBefore, long paramsAfter,
               int evaluations, double millis, EmbeddingAgreement.Result agreement) {}

    private static final Map<String, Row> rows = new LinkedHashMap<>();

    @BeforeAll
    static void pruneAll() {
        Path corpus = findShared();
        Path modelFile = ModelZoo.ALL_MINILM_L6_V2.model();
        Model original = OnnxReader.read(modelFile);
        DataOptions base = DataOptions.DEFAULTS.withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer());
        Dataset calibration = DataSources.open(corpus, original,
                base.withLines(new LineRange(1, 16)).withMaxLength(64).withBatchSize(16));
        Dataset evaluation = DataSources.open(corpus, original,
                base.withLines(new LineRange(3001, 3100)).withMaxLength(128).withBatchSize(50));
        Sessions.Options ort = Sessions.Options.of(ExecutionProvider.CPU);
        float[][] reference = EmbeddingAgreement.pooled(original, evaluation.batches(), ort);
        Anatomy anatomy = Anatomy.of(original);
        assertEquals(12, anatomy.sublayers().size(), anatomy.toString());

        PipelineParser parser = new PipelineParser(PassRegistry.load());
        PassContext context = PassContext.builder().evaluator(new OrtEvaluator()).calibration(calibration).build();
        for (int count : new int[] {3, 4}) {
            for (String method : List.of("finercut", "block", "shortgpt", "reverse")) {
                Model m = OnnxReader.read(modelFile);
                List<PassReport> reports = new PassManager(false).run(m,
                        parser.parse("prune(method=" + method + ", count=" + count + ")"), context);
                PassReport report = reports.get(reports.size() - 1);
                PassResult r = report.result();
                assertTrue(r.isModified());
                @SuppressWarnings("unchecked")
                List<String> removed = (List<String>) r.metrics().get("removed");
                @SuppressWarnings("unchecked")
                List<Double> scores = (List<Double>) r.metrics().get("scores");
                assertEquals(count, removed.size(), method + " removed " + removed);
                assertEquals(count, scores.size());

                // The model is valid, runs on ORT, and lost exactly the removed branches' parameters.
                assertEquals(List.of(), Verifier.verify(m), method + " " + count);
                long before = ((Number) r.metrics().get("parameters_before")).longValue();
                long after = ((Number) r.metrics().get("parameters_after")).longValue();
                long expected = 0;
                for (String id : removed) expected += Prune.removableParameters(anatomy.sublayer(id));
                assertEquals(before - expected, after, method + " " + removed + ": parameters");
                assertEquals(after, parameters(m));
                Anatomy pruned = Anatomy.of(m);
                for (String id : removed) {
                    Sublayer gone = anatomy.sublayer(id);
                    assertTrue(m.graph().initializers().stream()
                                    .noneMatch(v -> gone.weights().values().stream()
                                            .anyMatch(w -> w.matrix() != null && w.matrix().name().equals(v.name()))),
                            id + "'s weights are gone");
                }
                assertEquals(12 - count, pruned.sublayers().size(), pruned.toString());

                float[][] candidate = EmbeddingAgreement.pooled(m, evaluation.batches(), ort);
                EmbeddingAgreement.Result agreement = EmbeddingAgreement.compare(reference, candidate, 10);
                rows.put(method + count, new Row(method, count, removed, scores.get(scores.size() - 1), before, after,
                        ((Number) r.metrics().get("evaluations")).intValue(), report.millis(), agreement));
            }
        }
        System.out.println("all-MiniLM-L6-v2, calibration lines 1..16 (<=64 tokens), evaluation lines 3001..3100\n"
                + "| method | removed | sublayers | calib. angular | pooled cos (mean / min) | top-10 agreement "
                + "| params | evals | ms |\n|---|---|---|---|---|---|---|---|---|");
        for (Row row : rows.values())
            System.out.printf("| %s | %d | %s | %.4f | %.4f / %.4f | %.3f | %.2fM -> %.2fM | %d | %.0f |%n",
                    row.method, row.count, String.join(" ", row.removed), row.calScore,
                    row.agreement.pooledCosineMean(), row.agreement.pooledCosineMin(),
                    row.agreement.neighbourAgreement(), row.paramsBefore / 1e6, row.paramsAfter / 1e6,
                    row.evaluations, row.millis);
    }

    @Test
    void finercutIsNoWorseThanBlockBeyondNoise() {
        for (int count : new int[] {3, 4}) {
            Row f = rows.get("finercut" + count);
            Row b = rows.get("block" + count);
            assertTrue(f.agreement.pooledCosineMean() >= b.agreement.pooledCosineMean() - NOISE,
                    count + ": finercut " + f.agreement + " vs block " + b.agreement);
            assertTrue(f.calScore <= b.calScore + 1e-9, count + ": greedy sublayers should score at most block's on "
                    + "calibration data: " + f.calScore + " vs " + b.calScore);
        }
    }

    @Test
    void finercutIsClearlyBetterThanReverse() {
        for (int count : new int[] {3, 4}) {
            Row f = rows.get("finercut" + count);
            Row r = rows.get("reverse" + count);
            assertTrue(f.agreement.pooledCosineMean() > r.agreement.pooledCosineMean() + 0.02,
                    count + ": finercut " + f.agreement + " vs reverse " + r.agreement);
            assertTrue(f.agreement.neighbourAgreement() > r.agreement.neighbourAgreement(),
                    count + ": finercut " + f.agreement + " vs reverse " + r.agreement);
        }
    }

    @Test
    void finercutEvaluatesEachRemainingCandidateOncePerStep() {
        // 12 + 11 + 10 = 33 for three removals, 33 + 9 = 42 for four: one gated run set per candidate, no more.
        assertEquals(33, rows.get("finercut3").evaluations);
        assertEquals(42, rows.get("finercut4").evaluations);
    }

    private static long parameters(Model m) {
        long n = 0;
        for (var v : m.graph().initializers()) {
            Tensor t = v.initializer();
            if (t != null) n += t.elementCount();
        }
        return n;
    }

    private static Path findShared() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(SENTENCES);
            if (Files.isRegularFile(candidate)) return candidate;
        }
        fail("cannot find " + SENTENCES + " in " + Path.of("").toAbsolutePath() + " or any folder above it");
        return null;
    }
}
