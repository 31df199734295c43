package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Use;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * A matrix product with a constant weight that the pass can quantize: {@code MatMul(A, W)} with {@code W} a float
 * initializer {@code [K, N]}, or {@code Gemm(A, B, C)} that computes the same (no transposed A, alpha 1, beta 1;
 * B may be transposed). A following {@code Add} of a constant {@code [N]} vector, the bias, belongs to the site
 * (the fused quantized operators take it as an input). {@link #output()} is what the rest of the graph uses.
 */
final class Site implements Candidate {
    final Node node;
    final Value input;
    final Value weight;
    /** Gemm with transB=1: the initializer is stored {@code [N, K]}. */
    final boolean transposed;
    final Value bias;
    final Node biasAdd;
    final int k;
    final int n;

    private Site(Node node, Value input, Value weight, boolean transposed, Value bias, Node biasAdd, int k, int n) {
        this.node = node;
        this.input = input;
        this.weight = weight;
        this.transposed = transposed;
        this.bias = bias;
        this.biasAdd = biasAdd;
        this.k = k;
        this.n = n;
    }

    @Override
    public Node node() {
        return node;
    }

    /** The value the rest of the graph reads: the bias Add's output, or the product's. */
    @Override
    public Value output() {
        return biasAdd != null ? biasAdd.output(0) : node.output(0);
    }

    @Override
    public List<Node> nodes() {
        return biasAdd != null ? List.of(biasAdd, node) : List.of(node);
    }

    /** The weight as a row-major {@code [K, N]} matrix (transposed from a Gemm's {@code [N, K]}). */
    float[] weightKxN() {
        float[] w = weight.initializer().toFloats();
        if (!transposed) return w;
        float[] t = new float[w.length];
        for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) t[j * n + i] = w[i * k + j];
        return t;
    }

    long weightBytes() {
        return weight.initializer().byteSize();
    }

    /** Every quantizable site of the main graph, in graph order; {@code skipped} gets why others were left. */
    static List<Site> find(Graph g, List<String> skipped) {
        List<Site> out = new ArrayList<>();
        for (Node nd : g.nodes()) {
            if (!nd.domainName().isEmpty()) continue;
            Site s = switch (nd.opType()) {
                case "MatMul" -> matMul(nd, skipped);
                case "Gemm" -> gemm(nd, skipped);
                default -> null;
            };
            if (s != null) out.add(s);
        }
        return out;
    }

    private static Site matMul(Node nd, List<String> skipped) {
        Value w = nd.input(1);
        if (w == null || nd.input(0) == null || !isFloatMatrix(w)) return null; // activation x activation: not ours
        if (nd.input(0).isConstant()) {
            skipped.add(nd + ": both operands are constants");
            return null;
        }
        long[] d = w.initializer().dims();
        int k = Math.toIntExact(d[0]);
        int n = Math.toIntExact(d[1]);
        Node add = biasAdd(nd.output(0), n);
        return new Site(nd, nd.input(0), w, false, add == null ? null : constantOperand(add, nd.output(0)), add, k, n);
    }

    private static Site gemm(Node nd, List<String> skipped) {
        Value w = nd.input(1);
        if (w == null || nd.input(0) == null || !isFloatMatrix(w)) return null;
        if (intAttr(nd, "transA", 0) != 0 || floatAttr(nd, "alpha", 1f) != 1f
                || (nd.input(2) != null && floatAttr(nd, "beta", 1f) != 1f)) {
            skipped.add(nd + ": Gemm with transA, alpha or beta is left in float");
            return null;
        }
        boolean transB = intAttr(nd, "transB", 0) != 0;
        long[] d = w.initializer().dims();
        int k = Math.toIntExact(transB ? d[1] : d[0]);
        int n = Math.toIntExact(transB ? d[0] : d[1]);
        Value c = nd.input(2);
        if (c != null && !isBiasVector(c, n)) {
            skipped.add(nd + ": Gemm's C is not a constant vector of " + n);
            return null;
        }
        return new Site(nd, nd.input(0), w, transB, c, null, k, n);
    }

    /** The Add that adds a constant {@code [N]} bias to {@code product}, when it is the product's only use. */
    private static Node biasAdd(Value product, int n) {
        if (product.isGraphOutput() || product.useCount() != 1) return null;
        Use u = product.uses().get(0);
        Node add = u.node();
        if (!add.opType().equals("Add") || !add.domainName().isEmpty() || add.inputs().size() != 2) return null;
        Value other = add.input(1 - u.index());
        return other != null && isBiasVector(other, n) ? add : null;
    }

    private static Value constantOperand(Node add, Value product) {
        return add.input(0) == product ? add.input(1) : add.input(0);
    }

    static boolean isFloatMatrix(Value v) {
        Tensor t = v.initializer();
        return t != null && !v.isGraphInput() && t.dataType() == DataType.FLOAT && t.rank() == 2 && t.data() != null;
    }

    private static boolean isBiasVector(Value v, int n) {
        Tensor t = v.initializer();
        return t != null && !v.isGraphInput() && t.dataType() == DataType.FLOAT && t.rank() == 1 && t.dims()[0] == n
                && t.data() != null;
    }

    private static long intAttr(Node n, String name, long dflt) {
        Attribute a = n.attribute(name);
        return a == null || a.value() == null ? dflt : a.asInt();
    }

    private static float floatAttr(Node n, String name, float dflt) {
        Attribute a = n.attribute(name);
        return a == null || a.value() == null ? dflt : a.asFloat();
    }

    @Override
    public String toString() {
        return name();
    }
}
