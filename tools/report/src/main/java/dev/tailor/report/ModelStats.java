package dev.tailor.report;

import dev.tailor.compiler.analysis.ShapeInference;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A model's totals for the report: parameters (elements of floating-point and 8-bit-or-narrower integer
 * initializers and Constant-node tensors; int16 and wider integers and bools are indices and shapes, not weights), the bytes those weights
 * take, and the FLOP estimate ({@link FlopEstimate} states the rule).
 */
final class ModelStats {
    private ModelStats() {}

    static boolean isWeight(Tensor t) {
        DataType d = t.dataType();
        if (d == null || d == DataType.BOOL || d == DataType.STRING) return false;
        return d.isFloatingPoint() || d.bits() <= 8;
    }

    static DiffReport.Side side(String label, Model model, int sequenceLength) {
        Graph g = model.graph();
        long params = 0, bytes = 0;
        for (Value v : g.initializers()) {
            Tensor t = v.initializer();
            if (t == null || !isWeight(t)) continue;
            params += t.elementCount();
            bytes += t.byteSize();
        }
        // Constant nodes hold weights too; counting them keeps totals steady when fold turns them into initializers.
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Constant") || !n.domainName().isEmpty()) continue;
            Attribute a = n.attribute("value");
            if (a == null || !(a.value() instanceof Tensor t) || !isWeight(t)) continue;
            params += t.elementCount();
            bytes += t.byteSize();
        }
        return new DiffReport.Side(label, g.nodeCount(), g.initializers().size(), params, bytes,
                flops(model, sequenceLength));
    }

    static FlopEstimate flops(Model model, int sequenceLength) {
        Graph g = model.graph();
        ShapeInference.Result shapes = ShapeInference.analyze(model);
        Set<String> batchDims = new HashSet<>();
        for (Value in : g.inputs()) {
            Shape s = shapes.shape(in);
            if (s != null && s.rank() > 0 && s.dim(0).isSymbolic()) batchDims.add(s.dim(0).param());
        }
        long total = 0;
        int counted = 0;
        List<String> unestimated = new ArrayList<>();
        for (Node n : g.nodes()) {
            long f;
            if (n.domainName().equals("com.microsoft")) {
                if (!FUSED_INT8_PRODUCTS.contains(n.opType())) continue;
                f = fusedProductFlops(n, shapes, batchDims, sequenceLength);
            } else if (!n.domainName().isEmpty()) {
                continue;
            } else {
                switch (n.opType()) {
                    case "MatMul", "MatMulInteger", "Gemm", "Conv", "ConvInteger" -> f = nodeFlops(n, shapes, batchDims,
                            sequenceLength);
                    default -> {
                        continue;
                    }
                }
            }
            if (f < 0) {
                unestimated.add(n.name() == null || n.name().isEmpty() ? n.opType() : n.name());
            } else {
                total += f;
                counted++;
            }
        }
        if (counted == 0 && unestimated.isEmpty()) return null;
        return new FlopEstimate(total / sequenceLength, counted, List.copyOf(unestimated), sequenceLength);
    }

    /** ONNX Runtime's int8 products whose weight is a constant [K, N] matrix (input 1). */
    private static final Set<String> FUSED_INT8_PRODUCTS = Set.of("DynamicQuantizeMatMul", "MatMulIntegerToFloat");

    /**
     * A fused int8 product's operations: shape inference does not cover contrib ops, so the output size is the
     * activation's rows times the weight's N.
     */
    private static long fusedProductFlops(Node n, ShapeInference.Result shapes, Set<String> batchDims, int seq) {
        if (n.inputs().size() < 2 || n.input(0) == null || n.input(1) == null) return -1;
        Shape a = shapes.shape(n.input(0));
        Shape b = shapes.shape(n.input(1));
        if (a == null || b == null || a.rank() == 0 || b.rank() != 2) return -1;
        long aElements = elements(a, batchDims, seq);
        long k = size(a.dim(a.rank() - 1), batchDims, seq);
        long out = size(b.dim(1), batchDims, seq);
        if (aElements < 0 || k <= 0 || out < 0) return -1;
        return 2 * (aElements / k) * k * out;
    }

    /** The node's operations at batch 1 and the given sequence length, or -1 when a size is not known. */
    private static long nodeFlops(Node n, ShapeInference.Result shapes, Set<String> batchDims, int seq) {
        if (n.outputs().isEmpty() || n.inputs().size() < 2) return -1;
        Shape out = shapes.shape(n.output(0));
        Shape a = shapes.shape(n.input(0));
        Shape b = shapes.shape(n.input(1));
        if (out == null || a == null || b == null) return -1;
        long outElements = elements(out, batchDims, seq);
        if (outElements < 0) return -1;
        long k;
        switch (n.opType()) {
            case "Gemm" -> {
                Attribute ta = n.attribute("transA");
                boolean transA = ta != null && ((Number) ta.value()).longValue() != 0;
                if (a.rank() != 2) return -1;
                k = size(a.dim(transA ? 0 : 1), batchDims, seq);
            }
            case "Conv", "ConvInteger" -> {
                if (b.rank() < 3) return -1;
                k = 1;
                for (int i = 1; i < b.rank(); i++) {
                    long d = size(b.dim(i), batchDims, seq);
                    if (d < 0) return -1;
                    k *= d;
                }
            }
            default -> {
                if (a.rank() == 0) return -1;
                k = size(a.dim(a.rank() - 1), batchDims, seq);
            }
        }
        return k < 0 ? -1 : 2 * outElements * k;
    }

    private static long elements(Shape s, Set<String> batchDims, int seq) {
        long e = 1;
        for (Dim d : s.dims()) {
            long v = size(d, batchDims, seq);
            if (v < 0) return -1;
            e *= v;
        }
        return e;
    }

    private static long size(Dim d, Set<String> batchDims, int seq) {
        if (d.isKnown()) return d.value();
        if (d.isSymbolic()) return batchDims.contains(d.param()) ? 1 : seq;
        return -1;
    }
}
