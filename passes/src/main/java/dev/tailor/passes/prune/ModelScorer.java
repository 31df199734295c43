package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.Tensor;

/**
 * Scores a set by running the model without those sublayers: the distance of its output from the reference,
 * averaged over the calibration tokens. The designs ({@link Prune.Evaluation}) differ only in what they run to get
 * that output; their scores agree up to ONNX Runtime's rounding, and so do the selections made with them.
 */
abstract class ModelScorer extends Scorer {
    protected final Reference reference;

    ModelScorer(Reference reference) {
        this.reference = reference;
    }

    /**
     * Stops after the batch that puts the partial score above {@code bound}: distances are never negative, so the
     * rest could only raise it.
     */
    @Override
    protected final double measure(boolean[] removed, double bound) {
        double tokens = Math.max(1, reference.tokens());
        double sum = 0;
        boolean complete = false;
        begin(removed);
        try {
            for (int b = 0; b < reference.batchCount(); b++) {
                sum += reference.distance(b, run(b, removed));
                if (b == reference.batchCount() - 1) complete = true;
                else if (sum / tokens > bound) break;
            }
        } finally {
            end(sum / tokens, complete);
        }
        return sum / tokens;
    }

    /** Prepares to score {@code removed} (a design that builds a model per set builds it here). */
    protected void begin(boolean[] removed) {}

    /** The scored output on calibration batch {@code batch} with {@code removed} gone. */
    protected abstract Tensor run(int batch, boolean[] removed);

    /** Scoring {@code removed} ended, with its {@code score} if {@code complete} (not stopped by a bound or failure). */
    protected void end(double score, boolean complete) {}
}
