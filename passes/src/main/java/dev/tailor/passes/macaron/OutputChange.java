package dev.tailor.passes.macaron;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.pass.Evaluator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How far a model's first output moved: the original's outputs are taken before the rewrite ({@link #before}),
 * the result's after ({@link #after}); reported as the largest absolute difference and the relative L2 error
 * {@code ||new - old|| / ||old||} over every element of every batch.
 */
final class OutputChange {
    private final Evaluator evaluator;
    private final List<Map<String, Tensor>> batches;
    private final String output;
    private final List<Tensor> reference = new ArrayList<>();

    /** The measured change. */
    record Result(double maxAbs, double relativeL2) {}

    private OutputChange(Evaluator evaluator, List<Map<String, Tensor>> batches, String output) {
        this.evaluator = evaluator;
        this.batches = batches;
        this.output = output;
    }

    /** Runs the unchanged {@code model} on {@code batches} and keeps its first output. */
    static OutputChange before(Model model, Evaluator evaluator, List<Map<String, Tensor>> batches) {
        OutputChange c = new OutputChange(evaluator, batches, model.graph().outputs().get(0).name());
        c.reference.addAll(c.run(model));
        return c;
    }

    /** Runs the rewritten {@code model} and compares. */
    Result after(Model model) {
        List<Tensor> now = run(model);
        double max = 0, diff = 0, norm = 0;
        for (int i = 0; i < now.size(); i++) {
            ByteBuffer a = reference.get(i).bytes();
            ByteBuffer b = now.get(i).bytes();
            long n = reference.get(i).elementCount();
            for (int k = 0; k < n; k++) {
                double x = a.getFloat(k * 4), y = b.getFloat(k * 4);
                max = Math.max(max, Math.abs(y - x));
                diff += (y - x) * (y - x);
                norm += x * x;
            }
        }
        return new Result(max, norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm));
    }

    private List<Tensor> run(Model model) {
        List<Tensor> out = new ArrayList<>();
        try (Evaluator.Prepared p = evaluator.prepare(model, List.of(output))) {
            for (Map<String, Tensor> b : batches) {
                Tensor t = p.run(b).get(output);
                if (t.dataType() != DataType.FLOAT)
                    throw new IllegalArgumentException("output '" + output + "' is " + t.dataType() + ", not float");
                out.add(t);
            }
        }
        return out;
    }
}
