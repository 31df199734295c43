package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Static quantization in the QDQ format: the activation goes through {@code QuantizeLinear} and
 * {@code DequantizeLinear} with a scale and zero point fixed from calibration, the weight is stored quantized
 * behind a (per-channel) {@code DequantizeLinear}, and a float {@code MatMul} reads both; back ends (ONNX Runtime's
 * QDQ fusions, TensorRT) turn the pattern into integer kernels. Models below opset 13 have no per-axis standard
 * Q/DQ, so there the com.microsoft versions are written, as ONNX Runtime's own quantizer does.
 */
final class StaticQdq implements Scheme {
    private final Map<Value, float[]> ranges;
    private final DynamicInt8.WeightFormat weights;
    private final boolean activationSigned;
    private final boolean activationSymmetric;

    StaticQdq(Map<Value, float[]> ranges, DynamicInt8.WeightFormat weights, boolean activationSigned,
              boolean activationSymmetric) {
        this.ranges = ranges;
        this.weights = weights;
        this.activationSigned = activationSigned;
        this.activationSymmetric = activationSymmetric;
    }

    @Override
    public Value emit(Site s, Rewriter rw) {
        String domain = rw.onnxOpset() >= 13 ? null : Rewriter.MS;
        Value a = rw.cached(s.input, "qdq:" + activationSigned + activationSymmetric, () -> {
            float[] r = ranges.get(s.input);
            if (r == null) throw new IllegalStateException("no calibrated range for " + s.input);
            QuantMath.IntRange range = QuantMath.IntRange.of(8, activationSigned, false);
            QuantMath.Params p = QuantMath.params(r[0], r[1], range, activationSymmetric);
            DataType t = activationSigned ? DataType.INT8 : DataType.UINT8;
            Value scale = rw.floats(s.input.name() + "_scale", new long[0], p.scale());
            Value zero = rw.zeroPoints(s.input.name() + "_zero_point", t, new long[0], new int[] {p.zeroPoint()});
            Value q = rw.node(s.node, domain, "QuantizeLinear", s.input.name() + "_QuantizeLinear",
                    List.of(s.input, scale, zero), 1).output(0);
            return rw.node(s.node, domain, "DequantizeLinear", s.input.name() + "_DequantizeLinear",
                    List.of(q, scale, zero), 1).output(0);
        });
        Value w = rw.cached(s.weight, "qdq:" + weights.key() + s.transposed, () -> {
            DynamicInt8.QWeight qw = DynamicInt8.weight(s, rw, weights);
            List<Value> in = new ArrayList<>(List.of(qw.values(), qw.scale()));
            // DequantizeLinear needs the zero point to tell int8 from uint8 only when it is given; give it always.
            in.add(qw.zeroPoint() != null ? qw.zeroPoint() : rw.zeroPoints(s.weight.name() + "_zero_point",
                    weights.type(), weights.perChannel() ? new long[] {s.n} : new long[0],
                    new int[weights.perChannel() ? s.n : 1]));
            Node dq = weights.perChannel()
                    ? rw.node(s.node, domain, "DequantizeLinear", s.weight.name() + "_DequantizeLinear", in, 1,
                            Attribute.of("axis", 1L))
                    : rw.node(s.node, domain, "DequantizeLinear", s.weight.name() + "_DequantizeLinear", in, 1);
            return dq.output(0);
        });
        Value y = rw.node(s.node, null, "MatMul", s.name() + "_qdq", List.of(a, w), 1).output(0);
        return s.bias == null ? y : rw.node(s.node, null, "Add", s.name() + "_qdq_bias", List.of(y, s.bias), 1).output(0);
    }

    @Override
    public String describe() {
        return "int8 static (QDQ): weights " + weights + ", activations " + (activationSigned ? "int8" : "uint8")
                + " per-tensor " + (activationSymmetric ? "symmetric" : "asymmetric") + " from calibration";
    }
}
