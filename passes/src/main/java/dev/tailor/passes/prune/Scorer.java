package dev.tailor.passes.prune;

/**
 * Scores a set of removed candidates (lower is better); the selection strategies see nothing else. {@link
 * ModelScorer} measures it on the model; the designs there differ only in what they run.
 */
abstract class Scorer implements AutoCloseable {
    private int evaluations;

    /** The score of the model with the candidates {@code removed[i]} removed. */
    final double score(boolean[] removed) {
        return score(removed, Double.POSITIVE_INFINITY);
    }

    /**
     * The score, or once it is known to exceed {@code bound}, any value above the bound (a scorer may stop
     * early then: such a set cannot be chosen).
     */
    final double score(boolean[] removed, double bound) {
        evaluations++;
        return measure(removed, bound);
    }

    protected abstract double measure(boolean[] removed, double bound);

    /** How many sets have been scored. */
    final int evaluations() {
        return evaluations;
    }

    /**
     * The selection now holds {@code removed}: later sets are scored as changes to it (designs that cache the
     * current model's streams refresh them here).
     */
    void commit(boolean[] removed) {}

    @Override
    public void close() {}
}
