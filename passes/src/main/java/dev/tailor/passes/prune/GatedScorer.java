package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.pass.Evaluator;
import java.util.List;

/** FinerCut's reference design: the whole gated model runs for every set, with its gates set to the removals. */
final class GatedScorer extends ModelScorer {
    private final GatedModel gated;
    private final Evaluator.Prepared full;

    GatedScorer(Reference reference, GatedModel gated, Evaluator.Prepared full) {
        super(reference);
        this.gated = gated;
        this.full = full;
    }

    @Override
    protected Tensor run(int batch, boolean[] removed) {
        return full.run(gated.feed(reference.batch(batch), removed), List.of(reference.output())).get(reference.output());
    }
}
