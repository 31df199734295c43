package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * int8 weights, activations quantized at run time (per tensor, uint8, asymmetric: what
 * {@code DynamicQuantizeLinear} computes). Three spellings of the same arithmetic:
 * <ul>
 *   <li>{@link Form#FUSED}: one {@code com.microsoft.DynamicQuantizeMatMul} per product, bias included;</li>
 *   <li>{@link Form#INTEGER_TO_FLOAT}: one {@code DynamicQuantizeLinear} per activation, shared by the products
 *       that read it, then {@code com.microsoft.MatMulIntegerToFloat} with the bias;</li>
 *   <li>{@link Form#ONNX}: standard operators only: {@code DynamicQuantizeLinear}, {@code MatMulInteger},
 *       {@code Cast}, {@code Mul} by the product of the scales, {@code Add} of the bias (ONNX Runtime fuses these
 *       back into its own kernels).</li>
 * </ul>
 */
final class DynamicInt8 implements Scheme {
    enum Form { FUSED, INTEGER_TO_FLOAT, ONNX }

    private final Form form;
    private final WeightFormat weights;

    DynamicInt8(Form form, WeightFormat weights) {
        this.form = form;
        this.weights = weights;
    }

    /** How weights are quantized: signedness, symmetry, granularity, range. */
    record WeightFormat(boolean signed, boolean symmetric, boolean perChannel, boolean reduceRange) {
        QuantMath.IntRange range() {
            return QuantMath.IntRange.of(8, signed, reduceRange);
        }

        DataType type() {
            return signed ? DataType.INT8 : DataType.UINT8;
        }

        String key() {
            return "w8:" + signed + symmetric + perChannel + reduceRange;
        }

        @Override
        public String toString() {
            return (signed ? "int8" : "uint8") + " " + (perChannel ? "per-channel" : "per-tensor") + " "
                    + (symmetric ? "symmetric" : "asymmetric") + (reduceRange ? " reduce-range" : "");
        }
    }

    /** A quantized weight's initializers (zero point null when it is 0 everywhere and may be left out). */
    record QWeight(Value values, Value scale, Value zeroPoint) {}

    /** Quantizes {@code site}'s weight once per format, shared by every site that reads the same initializer. */
    static QWeight weight(Site site, Rewriter rw, WeightFormat f) {
        return rw.cached(site.weight, f.key() + ":" + site.transposed, () -> {
            QuantMath.Quantized q = QuantMath.quantizeMatrix(site.weightKxN(), site.k, site.n, f.range(), f.symmetric(),
                    f.perChannel());
            String base = site.weight.name();
            Value values = rw.initializer(base + "_quantized", f.type(), new long[] {site.k, site.n}, q.bytes());
            long[] pdims = f.perChannel() ? new long[] {site.n} : new long[0];
            Value scale = rw.floats(base + "_scale", pdims, q.scales());
            Value zero = f.signed() && q.allZeroPoints(0) ? null
                    : rw.zeroPoints(base + "_zero_point", f.type(), pdims, q.zeroPoints());
            return new QWeight(values, scale, zero);
        });
    }

    @Override
    public Value emit(Site s, Rewriter rw) {
        QWeight w = weight(s, rw, weights);
        String base = s.name() + "_quant";
        return switch (form) {
            case FUSED -> {
                List<Value> in = new ArrayList<>(Arrays.asList(s.input, w.values(), w.scale(), w.zeroPoint(), s.bias));
                trimOptional(in);
                yield rw.node(s.node, Rewriter.MS, "DynamicQuantizeMatMul", base, in, 1).output(0);
            }
            case INTEGER_TO_FLOAT -> {
                Node dq = activation(s, rw);
                List<Value> in = new ArrayList<>(Arrays.asList(dq.output(0), w.values(), dq.output(1), w.scale(),
                        dq.output(2), w.zeroPoint(), s.bias));
                trimOptional(in);
                yield rw.node(s.node, Rewriter.MS, "MatMulIntegerToFloat", base, in, 1).output(0);
            }
            case ONNX -> {
                Node dq = activation(s, rw);
                List<Value> in = new ArrayList<>(Arrays.asList(dq.output(0), w.values(), dq.output(2), w.zeroPoint()));
                trimOptional(in);
                Value acc = rw.node(s.node, null, "MatMulInteger", base, in, 1).output(0);
                Value f = rw.node(s.node, null, "Cast", base + "_cast", List.of(acc), 1,
                        Attribute.of("to", (long) DataType.FLOAT.code())).output(0);
                Value scales = rw.node(s.node, null, "Mul", base + "_scales", List.of(dq.output(1), w.scale()), 1).output(0);
                Value y = rw.node(s.node, null, "Mul", base + "_scaled", List.of(f, scales), 1).output(0);
                yield s.bias == null ? y : rw.node(s.node, null, "Add", base + "_bias", List.of(y, s.bias), 1).output(0);
            }
        };
    }

    /** The activation's DynamicQuantizeLinear, one per value, placed before its first quantized consumer. */
    private static Node activation(Site s, Rewriter rw) {
        return rw.cached(s.input, "DynamicQuantizeLinear", () -> rw.node(s.node, null, "DynamicQuantizeLinear",
                s.input.name() + "_dynamic_quant", List.of(s.input), 3));
    }

    /** Drops trailing absent optional inputs; inner ones stay as empty slots. */
    static void trimOptional(List<Value> in) {
        while (!in.isEmpty() && in.get(in.size() - 1) == null) in.remove(in.size() - 1);
    }

    @Override
    public String describe() {
        String op = switch (form) {
            case FUSED -> "DynamicQuantizeMatMul";
            case INTEGER_TO_FLOAT -> "DynamicQuantizeLinear + MatMulIntegerToFloat";
            case ONNX -> "DynamicQuantizeLinear + MatMulInteger";
        };
        return "int8 dynamic: weights " + weights + ", activations uint8 per-tensor at run time; " + op;
    }
}
