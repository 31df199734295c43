package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.ModelCopy;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.passes.cleanup.DeadCodeElimination;
import java.util.List;
import java.util.Map;

/** The naive design, kept as a baseline: a pruned copy of the model and a new session for every set scored. */
final class RebuildScorer extends ModelScorer {
    private final Model original;
    private final List<Residual> residuals;
    private final Evaluator evaluator;
    private Evaluator.Prepared prepared;

    RebuildScorer(Reference reference, Model original, List<Residual> residuals, Evaluator evaluator) {
        super(reference);
        this.original = original;
        this.residuals = residuals;
        this.evaluator = evaluator;
    }

    @Override
    protected void begin(boolean[] removed) {
        Model m = ModelCopy.of(original);
        Map<String, Value> values = Residual.values(m.graph());
        for (int i = 0; i < removed.length; i++) if (removed[i]) residuals.get(i).bypass(m.graph(), values);
        new DeadCodeElimination().run(m, PassContext.basic());
        prepared = evaluator.prepare(m, List.of(reference.output()));
    }

    @Override
    protected Tensor run(int batch, boolean[] removed) {
        return prepared.run(reference.batch(batch)).get(reference.output());
    }

    @Override
    protected void end(double score, boolean complete) {
        if (prepared != null) prepared.close();
        prepared = null;
    }
}
