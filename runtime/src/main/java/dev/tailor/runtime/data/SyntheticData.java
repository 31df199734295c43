package dev.tailor.runtime.data;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Seeded inputs made from a model's input types, for passes and tests that have no real data.
 * <ul>
 *   <li>Sizes: a fixed dimension keeps its size; a symbolic one gets one size per name, so that tensors agree:
 *       names with {@code batch} the batch size, with {@code past} the past length (a KV cache), with
 *       {@code total} the sequence plus past length, sums such as {@code past_sequence + 1} the sum of their terms,
 *       and every other name the sequence length. An unnamed dimension is the batch on axis 0, else the sequence.</li>
 *   <li>Values: inputs named like a mask are all ones; integer inputs named like positions count
 *       {@code 0, 1, 2, ...} along their last axis; other integer inputs are ids drawn uniformly below the row count
 *       of every embedding table they index (the data of a {@code Gather} they feed, through casts and reshapes;
 *       100 when they index none); floating-point inputs are drawn from the standard normal distribution; booleans
 *       are true.</li>
 * </ul>
 * The same model, sizes and seed give the same tensors.
 */
public final class SyntheticData {
    static final int DEFAULT_BATCHES = 4;
    static final int DEFAULT_BATCH_SIZE = 2;
    /** The id bound of integer inputs that index no embedding table. */
    static final int DEFAULT_ID_BOUND = 100;

    private SyntheticData() {}

    /** {@code options.batches()} batches (default 4) of {@code options.batchSize()} (default 2), seeded by {@code options.seed()}. */
    public static Dataset dataset(Model model, DataOptions options) {
        int batches = options.batches() > 0 ? options.batches() : DEFAULT_BATCHES;
        int batchSize = options.batchSize() > 0 ? options.batchSize() : DEFAULT_BATCH_SIZE;
        Random random = new Random(options.seed());
        List<Map<String, Tensor>> out = new ArrayList<>(batches);
        for (int i = 0; i < batches; i++)
            out.add(batch(model, batchSize, options.sequenceLength(), options.pastLength(), random));
        String description = String.format(Locale.ROOT,
                "synthetic: %d batch%s of %d, sequence %d, past %d, seed %d (ids below their embedding tables' sizes, "
                        + "masks of ones, floats from N(0, 1))", batches, batches == 1 ? "" : "es", batchSize,
                options.sequenceLength(), options.pastLength(), options.seed());
        return new Dataset(out, description);
    }

    /** One batch for the model's non-initializer inputs, past length 4. */
    public static Map<String, Tensor> batch(Model model, int batchSize, int sequenceLength, long seed) {
        return batch(model, batchSize, sequenceLength, 4, new Random(seed));
    }

    static Map<String, Tensor> batch(Model model, int batchSize, int sequenceLength, int pastLength, Random r) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Value v : model.graph().inputs()) {
            if (v.initializer() != null) continue;
            if (!(v.type() instanceof Type.Tensor t) || t.elementType() == null || t.shape() == null)
                throw new DataException("no synthetic data for input '" + v.name() + "' of "
                        + ModelInputs.describe(v.type()) + ": it needs a tensor type with an element type and a rank");
            long[] dims = new long[t.shape().rank()];
            for (int i = 0; i < dims.length; i++) {
                Dim d = t.shape().dim(i);
                dims[i] = d.isKnown() ? d.value() : size(d.param(), i, batchSize, sequenceLength, pastLength);
            }
            out.put(v.name(), values(v, t.elementType(), dims, r));
        }
        return out;
    }

    /** The size of a symbolic (or unnamed, when {@code param} is null) dimension on {@code axis}. */
    static long size(String param, int axis, int batch, int seq, int past) {
        if (param == null || param.isBlank()) return axis == 0 ? batch : seq;
        if (param.contains("+")) {
            long sum = 0;
            for (String term : param.split("\\+")) {
                String t = term.strip();
                sum += t.matches("\\d+") ? Long.parseLong(t) : size(t, axis, batch, seq, past);
            }
            return sum;
        }
        String p = param.toLowerCase(Locale.ROOT);
        if (p.contains("batch")) return batch;
        if (p.contains("total")) return seq + past;
        if (p.contains("past")) return past;
        return seq;
    }

    private static Tensor values(Value v, DataType type, long[] dims, Random r) {
        int n = Math.toIntExact(Tensor.elementCount(dims));
        String name = v.name().toLowerCase(Locale.ROOT);
        boolean mask = name.contains("mask");
        if (type == DataType.BOOL) {
            byte[] ones = new byte[n];
            Arrays.fill(ones, (byte) 1);
            return Tensor.of(v.name(), type, dims, new HeapData(ones));
        }
        if (type.isFloatingPoint()) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) x[i] = mask ? 1 : r.nextGaussian();
            return Tensors.fromDoubles(v.name(), type, dims, x);
        }
        if (!Tensors.isInteger(type))
            throw new DataException("no synthetic data for input '" + v.name() + "' of " + ModelInputs.typeName(type));
        long[] x = new long[n];
        if (mask) {
            Arrays.fill(x, 1);
        } else if (name.contains("position") && dims.length > 0) {
            long last = dims[dims.length - 1];
            long bound = Math.min(idBound(v), saturatedIncrement(Tensors.maxValue(type)));
            for (int i = 0; i < n; i++) x[i] = (i % last) % bound;
        } else {
            long bound = Math.min(idBound(v), saturatedIncrement(Tensors.maxValue(type)));
            for (int i = 0; i < n; i++) x[i] = bound > Integer.MAX_VALUE ? Math.floorMod(r.nextLong(), bound) : r.nextInt((int) bound);
        }
        return Tensors.fromLongs(v.name(), type, dims, x);
    }

    /** {@code x + 1}, or {@code x} itself for Long.MAX_VALUE (an int64 input's largest value plus one overflows). */
    private static long saturatedIncrement(long x) {
        return x == Long.MAX_VALUE ? x : x + 1;
    }

    /**
     * Ids stay below the row count of every embedding table they index: the data of a {@code Gather} that takes
     * them (or a cast, reshape or similar of them) as indices. {@link #DEFAULT_ID_BOUND} when there is none.
     */
    static long idBound(Value ids) {
        long bound = Long.MAX_VALUE;
        List<Value> work = new ArrayList<>(List.of(ids));
        Set<Value> seen = new HashSet<>();
        while (!work.isEmpty()) {
            Value v = work.remove(work.size() - 1);
            if (!seen.add(v)) continue;
            for (Use u : v.uses()) {
                Node n = u.node();
                switch (n.opType()) {
                    case "Gather" -> {
                        if (u.index() == 1 && n.domainName().isEmpty()) {
                            long rows = rows(n.input(0), 0);
                            if (rows > 0) bound = Math.min(bound, rows);
                        }
                    }
                    case "Cast", "Identity", "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Expand" -> {
                        if (u.index() == 0) work.addAll(n.outputs());
                    }
                    default -> { }
                }
            }
        }
        return bound == Long.MAX_VALUE ? DEFAULT_ID_BOUND : bound;
    }

    /** The size of axis 0 of a table: from its initializer, its declared type, or what it was dequantized or cast from. */
    private static long rows(Value table, int depth) {
        if (table == null || depth > 4) return -1;
        if (table.initializer() != null) return table.initializer().rank() > 0 ? table.initializer().dims()[0] : -1;
        if (table.type() instanceof Type.Tensor t && t.shape() != null && t.shape().rank() > 0 && t.shape().dim(0).isKnown())
            return t.shape().dim(0).value();
        Node p = table.producer();
        if (p != null && List.of("DequantizeLinear", "Cast", "Identity").contains(p.opType()) && p.inputs().size() > 0)
            return rows(p.input(0), depth + 1);
        return -1;
    }
}
