package dev.tailor.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Batches from every source, run through one ONNX Runtime session of all-MiniLM-L6-v2: the runtime accepts them,
 * and the same sentences give the same embeddings whether they come as text or as arrays.
 */
class MiniLmDataOnOrtTest {
    @Test
    void everySourceFeedsOnnxRuntime() {
        Model minilm = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Path corpus = TextDataTest.findShared();
        DataOptions options = DataOptions.DEFAULTS.withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer());
        Map<String, Dataset> sources = Map.of(
                "text", DataSources.open(corpus, minilm, options.withLines(LineRange.EVALUATION).withBatches(2)),
                "npz", DataSources.open(Fixtures.file("minilm_compressed.npz"), minilm, options),
                "pb", DataSources.open(Fixtures.file("pb_positional"), minilm, options),
                "synthetic", DataSources.open(null, minilm, options));
        try (Evaluator.Prepared p = new OrtEvaluator().prepare(minilm, List.of())) {
            for (Map.Entry<String, Dataset> s : sources.entrySet()) {
                for (Map<String, Tensor> batch : s.getValue().batches()) {
                    Tensor hidden = p.run(batch).get("last_hidden_state");
                    long[] ids = batch.get("input_ids").dims();
                    assertArrayEquals(new long[] {ids[0], ids[1], 384}, hidden.dims(), s.getKey());
                    for (float f : hidden.toFloats()) assertTrue(Float.isFinite(f), s.getKey());
                }
            }
            // The npz and pb fixtures hold the same ids: the same outputs, bit for bit.
            Tensor fromNpz = p.run(sources.get("npz").batches().get(0)).get("last_hidden_state");
            Tensor fromPb = p.run(sources.get("pb").batches().get(0)).get("last_hidden_state");
            assertEquals(fromNpz.bytes(), fromPb.bytes());
        }
        assertEquals(2, sources.get("text").size());
    }
}
