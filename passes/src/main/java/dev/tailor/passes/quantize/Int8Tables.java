package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.util.List;

/**
 * Embedding tables in symmetric int8, looked up as int8 and scaled back to float after the lookup, in standard
 * operators only:
 * <ul>
 *   <li>per row (one scale per vocabulary entry): {@code Gather(T_int8, ids)}, {@code Gather(scales, ids)} with
 *       the same ids, {@code Unsqueeze} of the scales to broadcast over the width, {@code Cast} to float,
 *       {@code Mul};</li>
 *   <li>per tensor: {@code Gather(T_int8, ids)} then {@code DequantizeLinear} with the one scale.</li>
 * </ul>
 * Only the looked-up rows are ever dequantized, so the table stays a quarter of its float size in memory too.
 */
final class Int8Tables {
    private static final QuantMath.IntRange INT8 = QuantMath.IntRange.of(8, true, false);

    private final boolean perRow;

    Int8Tables(boolean perRow) {
        this.perRow = perRow;
    }

    /** Why no table can be quantized in this model, or null: the operators written need a recent enough opset. */
    String unsupported(Rewriter rw) {
        long need = perRow ? 11 : 10; // Unsqueeze with negative axes; DequantizeLinear
        return rw.onnxOpset() < need ? "embedding tables stay float: the model is opset " + rw.onnxOpset()
                + " and int8 lookups need opset " + need : null;
    }

    /** The int8 table and its scales, made once per table whatever number of lookups read it. */
    private record QTable(Value values, Value scales, Value zeroPoint) {
        long bytes() {
            return values.initializer().byteSize() + scales.initializer().byteSize()
                    + (zeroPoint == null ? 0 : zeroPoint.initializer().byteSize());
        }
    }

    private QTable table(TableLookup t, Rewriter rw) {
        return rw.cached(t.table(), "table8:" + perRow, () -> {
            float[] w = t.table().initializer().toFloats();
            QuantMath.Quantized q = perRow ? QuantMath.quantizeRows(w, t.rows(), t.width(), INT8)
                    : QuantMath.quantizeMatrix(w, t.rows(), t.width(), INT8, true, false);
            String base = t.table().name();
            Value values = rw.initializer(base + "_quantized", DataType.INT8, new long[] {t.rows(), t.width()}, q.bytes());
            Value scales = rw.floats(base + "_scale", perRow ? new long[] {t.rows()} : new long[0], q.scales());
            Value zero = perRow ? null : rw.zeroPoints(base + "_zero_point", DataType.INT8, new long[0], new int[] {0});
            return new QTable(values, scales, zero);
        });
    }

    /** Writes the quantized lookup next to {@code t} and returns the value that replaces its output. */
    Value emit(TableLookup t, Rewriter rw) {
        QTable q = table(t, rw);
        String base = t.name() + "_int8";
        Value rows = rw.node(t.node(), null, "Gather", base, List.of(q.values(), t.indices()), 1).output(0);
        if (!perRow) {
            return rw.node(t.node(), null, "DequantizeLinear", base + "_dequantize", List.of(rows, q.scales(), q.zeroPoint()), 1)
                    .output(0);
        }
        Value s = rw.node(t.node(), null, "Gather", base + "_scale", List.of(q.scales(), t.indices()), 1).output(0);
        Value s1 = rw.onnxOpset() >= 13
                ? rw.node(t.node(), null, "Unsqueeze", base + "_scale_unsqueeze",
                        List.of(s, rw.graph.addInitializer(Tensor.ofLongs(rw.fresh(base + "_axes"), new long[] {1}, -1L))), 1)
                        .output(0)
                : rw.node(t.node(), null, "Unsqueeze", base + "_scale_unsqueeze", List.of(s), 1,
                        Attribute.ofInts("axes", -1L)).output(0);
        Value f = rw.node(t.node(), null, "Cast", base + "_cast", List.of(rows), 1,
                Attribute.of("to", (long) DataType.FLOAT.code())).output(0);
        return rw.node(t.node(), null, "Mul", base + "_scaled", List.of(f, s1), 1).output(0);
    }

    /** Bytes of {@code t}'s quantized table with its scales (and zero point). */
    long bytes(TableLookup t, Rewriter rw) {
        return table(t, rw).bytes();
    }

    String describe() {
        return "int8 symmetric " + (perRow ? "per row (Gather, Gather of scales, Cast, Mul)"
                : "per tensor (Gather, DequantizeLinear)");
    }
}
