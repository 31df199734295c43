package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tailor.compiler.ir.Tensor;
import org.junit.jupiter.api.Test;

class PerplexityTest {

    @Test
    void uniformLogitsGiveTheVocabularySize() {
        Tensor logits = Tensor.ofFloats("logits", new long[] {1, 3, 4}, new float[12]);
        double[] ce = Perplexity.crossEntropy(logits, new long[] {0, 1, 2}, null);
        assertEquals(2, ce[1]);
        assertEquals(4, Math.exp(ce[0] / ce[1]), 1e-9);
    }

    @Test
    void maskedPositionsAreSkippedAndTheNextTokenIsTheTarget() {
        // position 0 predicts token 3 with logit 2 against three zeros; position 1 is followed by padding
        float[] l = new float[12];
        l[3] = 2;
        Tensor logits = Tensor.ofFloats("logits", new long[] {1, 3, 4}, l);
        double[] ce = Perplexity.crossEntropy(logits, new long[] {0, 3, 0}, new long[] {1, 1, 0});
        assertEquals(1, ce[1]);
        assertEquals(Math.log(3 + Math.exp(2)) - 2, ce[0], 1e-6);
    }
}
