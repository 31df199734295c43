package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.testdata.Json;
import dev.tailor.testdata.TrainedLm;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PerplexityTest {

    @Test
    void uniformLogitsGivePerplexityEqualToTheVocabularyOverRealTargetsOnly() {
        int vocab = 5;
        Tensor logits = Tensor.ofFloats("logits", new long[] {1, 4, vocab}, new float[4 * vocab]);
        Tensor ids = Tensor.ofLongs("input_ids", new long[] {1, 4}, 0, 1, 2, 3);
        Tensor mask = Tensor.ofLongs("attention_mask", new long[] {1, 4}, 1, 1, 1, 0);
        Perplexity.Result r = Perplexity.score(logits, ids, mask);
        assertEquals(2, r.targets(), "targets at positions 1 and 2; position 3 is padding");
        assertEquals(vocab, r.perplexity(), 1e-9);
    }

    @Test
    void aConfidentCorrectPredictionCostsAlmostNothing() {
        float[] l = new float[3 * 2];
        l[1] = 30; // position 0 predicts token 1
        l[2 + 0] = 30; // position 1 predicts token 0
        Perplexity.Result r = Perplexity.score(Tensor.ofFloats("logits", new long[] {1, 3, 2}, l),
                Tensor.ofLongs("input_ids", new long[] {1, 3}, 0, 1, 0), null);
        assertEquals(1.0, r.perplexity(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Perplexity.score(
                Tensor.ofFloats("logits", new long[] {1, 3, 2}, l), Tensor.ofLongs("input_ids", new long[] {1, 3}, 0, 7, 0), null));
    }

    /** ORT's logits scored here against the perplexity torch measured when it trained the model. */
    @Test
    void trainedLmMatchesThePerplexityTorchMeasured() throws Exception {
        Model lm = OnnxReader.read(TrainedLm.model());
        var data = DataSources.open(TrainedLm.evaluation(), lm, DataOptions.DEFAULTS.withBatchSize(64));
        double ppl = Perplexity.of(lm, data.batches(), Sessions.Options.of(ExecutionProvider.CPU)).perplexity();
        @SuppressWarnings("unchecked")
        Map<String, Object> facts = (Map<String, Object>) Json.parse(Files.readString(TrainedLm.facts()));
        @SuppressWarnings("unchecked")
        double torch = ((Number) ((Map<String, Object>) facts.get("perplexity_per_byte"))
                .get("held_out_rows_of_lm_tiny_evaluation_npz")).doubleValue();
        System.out.printf("lm_tiny held-out perplexity per byte: ORT %.4f, torch %.4f%n", ppl, torch);
        assertEquals(torch, ppl, 1e-3 * torch);
        // A model that learnt its data: far below the 258 of a uniform guess.
        assertEquals(true, ppl < 8, "perplexity " + ppl);
    }
}
