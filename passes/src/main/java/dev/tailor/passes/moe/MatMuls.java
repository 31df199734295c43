package dev.tailor.passes.moe;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.Evaluator;
import java.util.List;
import java.util.Map;

/**
 * The matrix products of fitting (per-expert contributions over thousands of calibration tokens, the ridge
 * router's normal equations) run through the evaluator: two tiny models with symbolic shapes, prepared once,
 * {@code C = A·B} for batches of matrices and {@code C = Aᵀ·B}. Plain Java loops would take minutes per model.
 */
final class MatMuls implements AutoCloseable {
    private final Evaluator.Prepared product;
    private final Evaluator.Prepared transposed;

    MatMuls(Evaluator evaluator) {
        this.product = evaluator.prepare(model(false), List.of("c"));
        this.transposed = evaluator.prepare(model(true), List.of("c"));
    }

    private static Model model(boolean transposeA) {
        Graph g = new Graph(transposeA ? "at_b" : "a_b");
        Object[] a = transposeA ? new Object[] {"k", "m"} : new Object[] {"n", "m", "k"};
        Object[] b = transposeA ? new Object[] {"k", "p"} : new Object[] {"n", "k", "p"};
        Value va = g.addInput(new Value("a", new Type.Tensor(DataType.FLOAT, Shape.of(a))));
        Value vb = g.addInput(new Value("b", new Type.Tensor(DataType.FLOAT, Shape.of(b))));
        Value left = va;
        if (transposeA) left = g.append(new Node("Transpose", List.of(va), "at")).output(0);
        Node mm = g.append(new Node("MatMul", List.of(left, vb), "c"));
        g.addOutput(mm.output(0));
        return Model.of(g, 13);
    }

    /** {@code [n, m, k] · [n, k, p] -> [n, m, p]}. */
    float[] product(float[] a, int n, int m, int k, float[] b, int p) {
        return product.run(Map.of("a", Tensor.ofFloats("a", new long[] {n, m, k}, a),
                "b", Tensor.ofFloats("b", new long[] {n, k, p}, b))).get("c").toFloats();
    }

    /** {@code [k, m]ᵀ · [k, p] -> [m, p]}. */
    float[] transposedProduct(float[] a, int k, int m, float[] b, int p) {
        return transposed.run(Map.of("a", Tensor.ofFloats("a", new long[] {k, m}, a),
                "b", Tensor.ofFloats("b", new long[] {k, p}, b))).get("c").toFloats();
    }

    @Override
    public void close() {
        product.close();
        transposed.close();
    }
}
