package dev.tailor.testdata;

import java.nio.file.Path;

/**
 * lm_tiny: a small Llama-style causal LM over UTF-8 bytes, trained by {@code testdata/scripts/train_lm.py} on the
 * calibration split of the shared sentence corpus, so that perplexity before and after a rewrite means something.
 * Tokens are bytes 0..255, BOS 256 and PAD 257; rows are 128 tokens, right-padded (attention_mask 0 on padding).
 * {@code lm_tiny.json} beside the model records its configuration and measured perplexity.
 */
public final class TrainedLm {
    private static final String FOLDER = "dev/tailor/testdata/models/";

    /** Vocabulary size (the logits' last dimension). */
    public static final int VOCAB = 258;
    /** The padding token; its positions carry attention_mask 0. */
    public static final int PAD = 257;

    private TrainedLm() {}

    /** The model: inputs input_ids, attention_mask (int64 [batch, sequence]); output logits [batch, sequence, 258]. */
    public static Path model() {
        return ModelZoo.extract(FOLDER + "lm_tiny.onnx");
    }

    /** 256 rows of calibration sentences (lines 1..256 of the corpus), as an npz of input_ids and attention_mask. */
    public static Path calibration() {
        return ModelZoo.extract(FOLDER + "lm_tiny_calibration.npz");
    }

    /** 256 rows of held-out sentences (lines 3001..3256), never seen in training or calibration. */
    public static Path evaluation() {
        return ModelZoo.extract(FOLDER + "lm_tiny_evaluation.npz");
    }

    /** The facts file: configuration, training and perplexity per byte as trained. */
    public static Path facts() {
        return ModelZoo.extract(FOLDER + "lm_tiny.json");
    }
}
