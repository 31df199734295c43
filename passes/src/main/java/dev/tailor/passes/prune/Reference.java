package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The calibration batches and what the unpruned model computes on them, run once with the gated model's gates all
 * open: the scored output, and the intermediate values asked for (stream values for caching and block influence).
 * Every score is a distance to these outputs, averaged over the calibration tokens.
 */
final class Reference {
    private final List<Map<String, Tensor>> batches;
    private final String output;
    private final List<Map<String, Tensor>> values = new ArrayList<>();
    private final Scoring.Metric metric;
    private final long tokens;

    /**
     * Runs {@code run} (the gated model, computing {@code output} and the extra values from a feed with the gates)
     * on every batch, its gates all open.
     */
    Reference(GatedModel gated, Function<Map<String, Tensor>, Map<String, Tensor>> run,
              List<Map<String, Tensor>> batches, String output, Scoring.Metric metric) {
        this.batches = List.copyOf(batches);
        this.output = output;
        boolean[] none = new boolean[gated.residuals().size()];
        for (Map<String, Tensor> b : batches) values.add(run.apply(gated.feed(b, none)));
        this.metric = Scoring.resolve(metric, Scoring.kindOf(output, values.get(0).get(output)));
        long n = 0;
        for (int i = 0; i < batches.size(); i++) n += Scoring.positions(out(i), mask(i));
        this.tokens = n;
    }

    int batchCount() {
        return batches.size();
    }

    Map<String, Tensor> batch(int i) {
        return batches.get(i);
    }

    String output() {
        return output;
    }

    /** The metric in use ({@code auto} resolved by the output's kind). */
    Scoring.Metric metric() {
        return metric;
    }

    /** Value {@code name} of the reference run on batch {@code i}. */
    Tensor value(int i, String name) {
        return values.get(i).get(name);
    }

    private Tensor out(int i) {
        return values.get(i).get(output);
    }

    private Tensor mask(int i) {
        return batches.get(i).get("attention_mask");
    }

    /** Summed distance of {@code candidate} from the reference output of batch {@code i}. */
    double distance(int i, Tensor candidate) {
        return Scoring.distance(metric, out(i), candidate, mask(i)).total();
    }

    /** How many positions the distances are averaged over. */
    long tokens() {
        return tokens;
    }

    /** Mean 1 − cos between two reference values over the calibration tokens (block and sublayer influence). */
    double influence(String in, String out) {
        double sum = 0;
        long n = 0;
        for (int b = 0; b < batches.size(); b++) {
            Scoring.Sum s = Scoring.distance(Scoring.Metric.COSINE, value(b, in), value(b, out), mask(b));
            sum += s.total();
            n += s.count();
        }
        return n == 0 ? 0 : sum / n;
    }
}
