package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.runtime.text.WordPieceTokenizer;
import dev.tailor.testdata.ModelZoo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * all-MiniLM-L6-v2 against its ONNX Runtime-quantized twin (int8 dynamic), on sentences of the evaluation split
 * tokenized with the tokenizer.json shipped in the quantized model's jar.
 */
class ValidatorTest {

    static List<Map<String, Tensor>> evaluationBatches(int batches, int batchSize) throws Exception {
        WordPieceTokenizer tok = WordPieceTokenizer.fromTokenizerJson(ModelZoo.ALL_MINILM_L6_V2_Q.tokenizer());
        List<String> text = CleanupOnRealModelsTest.evaluationSentences(batches * batchSize);
        List<Map<String, Tensor>> out = new ArrayList<>();
        for (int b = 0; b < batches; b++)
            out.add(tok.encodeBatch(text.subList(b * batchSize, (b + 1) * batchSize), 128).tensors());
        return out;
    }

    @Test
    void theQuantizedTwinStaysCloseToTheOriginal() throws Exception {
        Model reference = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Model candidate = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2_Q.model());
        Validator.Report r = Validator.validate(reference, candidate, evaluationBatches(4, 8),
                Sessions.Options.of(ExecutionProvider.CPU), Validator.Thresholds.defaults());
        Validator.OutputMetrics m = r.outputs().get(0);
        System.out.printf("MiniLM vs its int8 twin on 32 evaluation sentences: max abs %.4f, mean abs %.5f, rel L2 %.4f,"
                        + " cosine %.5f, pooled cosine mean %.5f min %.5f; candidate nodes %s%n", m.maxAbsError(),
                m.meanAbsError(), m.relativeL2(), m.cosine(), m.pooledCosineMean(), m.pooledCosineMin(),
                r.candidateNodesByProvider());
        assertEquals("last_hidden_state", m.name());
        assertNotNull(m.pooledCosineMin(), "an embedding model gets the pooled-embedding cosine");
        // Measured on real tokens (padding excluded): cosine 0.987, pooled cosine mean 0.991, min 0.986.
        assertTrue(m.pooledCosineMin() > 0.98 && m.pooledCosineMin() < 1.0, "pooled cosine " + m.pooledCosineMin());
        assertTrue(m.cosine() > 0.98 && m.cosine() < 0.999, "cosine " + m.cosine());
        assertTrue(m.maxAbsError() > 1e-2, "a quantized model does differ");
        assertTrue(r.passed(), "the default thresholds accept int8 dynamic quantization: " + r.failures());
        assertTrue(r.candidateNodesByProvider().get("CPUExecutionProvider") > 0);
    }

    @Test
    void thresholdsDecidePassOrFail() throws Exception {
        Model reference = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Model candidate = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2_Q.model());
        List<Map<String, Tensor>> data = evaluationBatches(1, 4);
        Validator.Report strict = Validator.validate(reference, candidate, data, Sessions.Options.of(ExecutionProvider.CPU),
                new Validator.Thresholds(0.99999, 1e-4, null, null));
        assertFalse(strict.passed());
        assertEquals(2, strict.failures().size(), strict.failures().toString());
        assertTrue(strict.failures().get(1).startsWith("last_hidden_state: max abs error"), strict.failures().toString());
        Validator.Report same = Validator.validate(reference, reference, data, Sessions.Options.of(ExecutionProvider.CPU),
                Validator.Thresholds.defaults());
        assertTrue(same.passed());
        assertEquals(0.0, same.outputs().get(0).maxAbsError());
        assertEquals(1.0, same.outputs().get(0).cosine(), 1e-12);
    }
}
