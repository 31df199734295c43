package dev.tailor.runtime.macaron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerKind;
import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.runtime.data.SharedCorpus;
import dev.tailor.runtime.data.SyntheticData;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.ModelZoo;
import dev.tailor.testdata.TrainedLm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code macaron(mode=exact)} keeps the function: on all-MiniLM-L6-v2 (post-LN, real sentences through its
 * tokenizer), on the trained decoder lm_tiny (its evaluation rows) and on every exported transformer with random
 * weights (Llama, GPT-2, BERT, ViT, T5 with cross-attention, nn.TransformerEncoder pre- and post-LN) every output of
 * the rewritten model equals the original's within 1e-5 on ONNX Runtime, after a write and a read back; the result
 * passes the verifier and its anatomy shows every block as FFN, attention, FFN.
 */
class MacaronExactTest {
    static final double TOLERANCE = 1e-5;
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());
    private static final Sessions.Options CPU = Sessions.Options.of(ExecutionProvider.CPU);

    @TempDir
    Path dir;

    @Test
    void miniLmPostLnKeepsItsOutputs() {
        Model original = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        DataOptions text = DataOptions.DEFAULTS.withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer()).withBatchSize(16);
        Dataset eval = DataSources.open(SharedCorpus.find(), original,
                text.withLines(new LineRange(LineRange.EVALUATION.from(), LineRange.EVALUATION.from() + 47)));
        Model m = exact(ModelZoo.ALL_MINILM_L6_V2.model(), eval);
        assertExact("all-MiniLM-L6-v2", original, m, eval.batches());
    }

    @Test
    void trainedDecoderLmTinyKeepsItsLogits() {
        Model original = OnnxReader.read(TrainedLm.model());
        Dataset eval = DataSources.open(TrainedLm.evaluation(), original, DataOptions.DEFAULTS.withBatchSize(32));
        Model m = exact(TrainedLm.model(), eval);
        assertExact("lm_tiny", original, m, eval.batches());
    }

    /** The other exported transformers, random weights on synthetic inputs; T5's decoder blocks keep their xattn. */
    @ParameterizedTest
    @ValueSource(strings = {"llama_tiny", "torch_encoder_preln", "torch_encoder_postln", "bert_tiny", "gpt2_tiny",
            "vit_tiny", "t5_tiny"})
    void exportedModelsKeepTheirOutputs(String name) {
        Path file = ExportedModels.file(name);
        Model original = OnnxReader.read(file);
        Dataset data = SyntheticData.dataset(original, DataOptions.DEFAULTS.withBatches(2).withBatchSize(2)
                .withSequenceLength(12));
        Model m = exact(file, data);
        assertExact(name, original, m, data.batches());
    }

    /**
     * Rewrites {@code file} with exact mode and checks the structure: the result verifies, and after a write and a
     * read back every block is a front FFN (normed like the model's sublayers in pre-LN, without a norm in post-LN)
     * followed by the block's sublayers as they were.
     */
    private Model exact(Path file, Dataset data) {
        Model m = OnnxReader.read(file);
        Anatomy before = Anatomy.of(m);
        String placement = before.streams().get(0).normPlacement();
        PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(data).build();
        var reports = new PassManager(true).run(m, PARSER.parse("macaron(mode=exact)"), ctx);
        PassResult r = reports.get(0).result();
        assertTrue(r.isModified());
        assertEquals(List.of(), Verifier.verify(m));
        // measured inside the pass on the same data
        assertTrue(((Number) r.metrics().get("max_abs_change")).doubleValue() <= TOLERANCE, r.metrics().toString());

        Path out = dir.resolve(file.getFileName());
        OnnxWriter.write(m, out);
        Anatomy a = Anatomy.of(OnnxReader.read(out));
        assertEquals(before.blocks().size(), a.blocks().size(), a.toString());
        for (Block b : a.blocks()) {
            List<String> kinds = new ArrayList<>(List.of("ffn"));
            for (Sublayer s : before.block(b.id()).sublayers()) kinds.add(s.kind().id());
            assertEquals(kinds, b.sublayers().stream().map(s -> s.kind().id()).toList(), a.toString());
            Sublayer front = b.front();
            assertEquals(b.id() + ".ffn_front", front.id());
            assertEquals(b.sublayer(SublayerKind.FFN).ffn(), front.ffn());
            if (placement.equals("post")) assertNull(front.norm(), "a post-LN exact front has no norm");
            else assertEquals("pre", front.norm().placement().id());
        }
        for (int i = 0; i < a.streams().size(); i++)
            assertEquals(before.streams().get(i).normPlacement(), a.streams().get(i).normPlacement());
        assertEquals(before.unplaced().size(), a.unplaced().size(), a.toString());
        return OnnxReader.read(out);
    }

    private static void assertExact(String name, Model original, Model rewritten, List<Map<String, Tensor>> batches) {
        Validator.Report report = Validator.validate(original, rewritten, batches, CPU,
                Validator.Thresholds.defaults());
        for (Validator.OutputMetrics o : report.outputs()) {
            System.out.printf("macaron exact, %s, %s: max abs error %.3g%n", name, o.name(), o.maxAbsError());
            assertTrue(o.maxAbsError() <= TOLERANCE, o.name() + ": max abs error " + o.maxAbsError());
        }
        assertTrue(report.passed(), report.toString());
    }
}
