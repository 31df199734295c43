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
 * How much each hidden neuron of an FFN writes to the stream on calibration data: the mean over real tokens of
 * its activation squared, times the squared length of its row of down (the energy of its contribution
 * {@code a_j * down[j]}). One prepared model computes every FFN's activation in each run.
 */
final class NeuronEnergy {
    private NeuronEnergy() {}

    /** Energies per FFN, in the order of {@code ffns}; tokens are masked by an {@code attention_mask} input when given. */
    static List<double[]> measure(Model model, List<FfnParams> ffns, Evaluator evaluator,
                                  List<Map<String, Tensor>> batches) {
        List<String> names = new ArrayList<>();
        for (FfnParams f : ffns) names.add(f.hiddenActivation().name());
        List<double[]> sums = new ArrayList<>();
        for (FfnParams f : ffns) sums.add(new double[f.hidden]);
        long tokens = 0;
        try (Evaluator.Prepared p = evaluator.prepare(model, names)) {
            for (Map<String, Tensor> batch : batches) {
                Map<String, Tensor> out = p.run(batch);
                long[] mask = batch.containsKey("attention_mask") ? batch.get("attention_mask").toLongs() : null;
                long counted = 0;
                for (int i = 0; i < ffns.size(); i++)
                    counted = accumulate(out.get(names.get(i)), mask, sums.get(i), ffns.get(i).ffn.id());
                tokens += counted;
            }
        }
        for (int i = 0; i < ffns.size(); i++) {
            double[] rows = ffns.get(i).downRowNorms();
            double[] e = sums.get(i);
            for (int j = 0; j < e.length; j++) e[j] = e[j] / Math.max(1, tokens) * rows[j];
        }
        return sums;
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
