package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.Tensor;

/**
 * Scores a set of removed sublayers: the distance of the pruned model's output from the reference, averaged over
 * the calibration tokens. The designs differ only in what they run to get that output (see {@link Prune.Evaluation});
 * their scores agree up to ONNX Runtime's rounding, and so do the selections made with them.
 */
abstract class Scorer implements AutoCloseable {
    protected final Reference reference;
    private int evaluations;

    Scorer(Reference reference) {
        this.reference = reference;
    }

    /** The score of the model with {@code removed[i]} sublayers removed. */
    final double score(boolean[] removed) {
        evaluations++;
        double sum = 0;
        begin(removed);
        try {
            for (int b = 0; b < reference.batchCount(); b++) sum += reference.distance(b, run(b, removed));
        } finally {
            end();
        }
        return reference.tokens() == 0 ? 0 : sum / reference.tokens();
    }

    /** How many sets have been scored. */
    final int evaluations() {
        return evaluations;
    }

    /** Prepares to score {@code removed} (a design that builds a model per set builds it here). */
    protected void begin(boolean[] removed) {}

    /** The scored output on calibration batch {@code batch} with {@code removed} gone. */
    protected abstract Tensor run(int batch, boolean[] removed);

    protected void end() {}

    /**
     * The selection now holds {@code removed}: later sets are scored as changes to it (designs that cache the
     * current model's streams refresh them here).
     */
    void commit(boolean[] removed) {}

    @Override
    public void close() {}
}
