package dev.tailor.passes.macaron;

import dev.tailor.compiler.anatomy.Norm;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.pass.Evaluator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How much each hidden neuron of an FFN writes to the stream on calibration data: the mean over real tokens of
 * its activation squared, times the squared length of its row of down (the energy of its contribution
 * {@code a_j * down[j]}). For an FFN with a post-norm, also the mean over tokens of {@code 1/sigma}, the scale that
 * norm divides the residual sum by. One prepared model computes every FFN's values in each run.
 */
final class NeuronEnergy {
    private NeuronEnergy() {}

    /** One FFN's energies per neuron, and the mean inverse scale of its post-norm (1 without one). */
    record Stats(double[] energy, double inverseSigma) {}

    /** Stats per FFN, in the order of {@code ffns}; tokens are masked by an {@code attention_mask} input when given. */
    static List<Stats> measure(Model model, List<FfnParams> ffns, Evaluator evaluator,
                               List<Map<String, Tensor>> batches) {
        List<String> names = new ArrayList<>();
        for (FfnParams f : ffns) names.add(f.hiddenActivation().name());
        for (FfnParams f : ffns) if (postNorm(f) != null) names.add(postNorm(f).input().name());
        List<double[]> sums = new ArrayList<>();
        for (FfnParams f : ffns) sums.add(new double[f.hidden]);
        double[] inverse = new double[ffns.size()];
        long tokens = 0;
        try (Evaluator.Prepared p = evaluator.prepare(model, names.stream().distinct().toList())) {
            for (Map<String, Tensor> batch : batches) {
                Map<String, Tensor> out = p.run(batch);
                long[] mask = batch.containsKey("attention_mask") ? batch.get("attention_mask").toLongs() : null;
                long counted = 0;
                for (int i = 0; i < ffns.size(); i++) {
                    FfnParams f = ffns.get(i);
                    counted = accumulate(out.get(names.get(i)), mask, sums.get(i), f.ffn.id());
                    Norm n = postNorm(f);
                    if (n != null) inverse[i] += inverseSigmas(out.get(n.input().name()), mask, n);
                }
                tokens += counted;
            }
        }
        List<Stats> stats = new ArrayList<>();
        for (int i = 0; i < ffns.size(); i++) {
            double[] rows = ffns.get(i).downRowNorms();
            double[] e = sums.get(i);
            for (int j = 0; j < e.length; j++) e[j] = e[j] / Math.max(1, tokens) * rows[j];
            stats.add(new Stats(e, postNorm(ffns.get(i)) == null ? 1 : inverse[i] / Math.max(1, tokens)));
        }
        return stats;
    }

    private static Norm postNorm(FfnParams f) {
        Norm n = f.ffn.norm();
        return n != null && n.placement() == Norm.Placement.POST && n.input() != null ? n : null;
    }

    /** Sum over the kept tokens of 1/sigma, sigma the norm's divisor (standard deviation or root mean square). */
    private static double inverseSigmas(Tensor sum, long[] mask, Norm norm) {
        long width = sum.dims()[sum.rank() - 1];
        long rows = sum.elementCount() / width;
        boolean masked = mask != null && mask.length == rows;
        double eps = norm.epsilon() == null ? 0 : norm.epsilon();
        ByteBuffer b = sum.bytes();
        double total = 0;
        for (int r = 0; r < rows; r++) {
            if (masked && mask[r] == 0) continue;
            double mean = 0, sq = 0;
            for (int h = 0; h < width; h++) {
                double v = b.getFloat((int) ((r * width + h) * 4));
                mean += v;
                sq += v * v;
            }
            mean /= width;
            double var = norm.kind() == Norm.Kind.LAYER_NORM ? sq / width - mean * mean : sq / width;
            total += 1 / Math.sqrt(var + eps);
        }
        return total;
    }

    /** Adds each neuron's squared activation over the tokens the mask keeps; returns the tokens counted. */
    private static long accumulate(Tensor a, long[] mask, double[] sum, String id) {
        if (a.dataType() != DataType.FLOAT)
            throw new IllegalArgumentException(id + ": hidden activation is " + a.dataType() + ", expected float");
        int width = sum.length;
        long rows = a.elementCount() / width;
        boolean masked = mask != null && mask.length == rows;
        ByteBuffer b = a.bytes();
        long counted = 0;
        for (int r = 0; r < rows; r++) {
            if (masked && mask[r] == 0) continue;
            counted++;
            int base = r * width;
            for (int j = 0; j < width; j++) {
                double v = b.getFloat((base + j) * 4);
                sum[j] += v * v;
            }
        }
        return counted;
    }
}
