package dev.tailor.passes.lora;

import dev.tailor.compiler.anatomy.Columns;
import dev.tailor.compiler.anatomy.Param;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.pass.PassException;

/**
 * A projection LoRA attaches to: the {@code MatMul} or {@code Gemm} that multiplies the activation by a weight the
 * anatomy placed, and the output features the update covers ({@code columns}: a role's part of a fused matrix, or
 * null for the whole matrix).
 *
 * @param id      the printable id, also the prefix of the branch's weight names ({@code b0.attn.q}, or
 *                {@code b0.attn.qkv} for a fused matrix taken whole)
 * @param product the node that multiplies by the matrix (input 0 the activation, input 1 the matrix)
 * @param matrix  the weight matrix as the anatomy placed it
 * @param in      input features
 * @param out     output features of the whole matrix
 */
record LoraSite(String id, Node product, Param matrix, Columns columns, long in, long out) {

    /** The site of {@code w} in {@code s}: the product node that reads the matrix, or a clear refusal. */
    static LoraSite of(Sublayer s, Weight w, String id, boolean whole) {
        Param m = w.matrix();
        Node product = null;
        for (Use u : m.value().uses()) {
            Node n = u.node();
            boolean linear = n.domainName().isEmpty() && u.index() == 1
                    && (n.opType().equals("MatMul") || n.opType().equals("Gemm"));
            if (linear && s.nodes().contains(n)) product = n;
        }
        if (product == null)
            throw new PassException("lora", w.id() + ": weight '" + m.name() + "' is not read as input B of a MatMul "
                    + "or Gemm in " + s.id() + " (quantized or fused weights are not supported; apply lora before "
                    + "quantize)");
        if (product.opType().equals("Gemm") && (intAttr(product, "transA") != 0))
            throw new PassException("lora", w.id() + ": Gemm '" + product.name() + "' transposes its input A");
        if (m.tensor().dataType() != DataType.FLOAT || m.tensor().rank() != 2)
            throw new PassException("lora", w.id() + ": weight '" + m.name() + "' is " + m.tensor()
                    + "; lora supports 2-D float weights");
        long full = m.tensor().dims()[m.featureAxis()];
        return new LoraSite(id, product, m, whole || !m.isPart() ? null : m.columns(), w.in(), full);
    }

    /** Output features this site's update covers. */
    long width() {
        return columns == null ? out : columns.width();
    }

    /** True when the stored matrix is {@code [out, in]} (Gemm with transB=1), not ONNX's usual {@code [in, out]}. */
    boolean transposed() {
        return matrix.featureAxis() == 0;
    }

    /** Gemm's alpha (1 for MatMul): a merged update must be divided by it, since Gemm scales the whole product. */
    float alpha() {
        var a = product.attribute("alpha");
        return product.opType().equals("Gemm") && a != null ? a.asFloat() : 1f;
    }

    private static long intAttr(Node n, String name) {
        var a = n.attribute(name);
        return a == null ? 0 : a.asInt();
    }
}
