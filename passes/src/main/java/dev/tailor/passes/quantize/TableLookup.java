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
 * A lookup in an embedding table the pass can quantize: {@code Gather(T, ids)} along axis 0 with {@code T} a float
 * initializer {@code [rows, width]} (word, position and token-type embeddings). {@link #output()} is the gathered
 * rows. The table is held, not read off the node, as the report names it after the lookup is replaced.
 */
record TableLookup(Node node, Value table, Value indices, int rows, int width) implements Candidate {

    @Override
    public Value output() {
        return node.output(0);
    }

    @Override
    public List<Node> nodes() {
        return List.of(node);
    }

    /** Every lookup in a float table of the main graph, in graph order. */
    static List<TableLookup> find(Graph g) {
        List<TableLookup> out = new ArrayList<>();
        for (Node nd : g.nodes()) {
            if (!nd.domainName().isEmpty() || !nd.opType().equals("Gather") || nd.input(1) == null) continue;
            Value t = nd.input(0);
            if (t == null || !Site.isFloatMatrix(t) || !alongRows(nd)) continue;
            long[] d = t.initializer().dims();
            out.add(new TableLookup(nd, t, nd.input(1), Math.toIntExact(d[0]), Math.toIntExact(d[1])));
        }
        return out;
    }

    private static boolean alongRows(Node gather) {
        Attribute a = gather.attribute("axis");
        long axis = a == null || a.value() == null ? 0 : a.asInt();
        return axis == 0 || axis == -2;
    }

    /**
     * Why the table must stay float although the lookup is selected: something other than row lookups reads it
     * (a tied LM head's MatMul or Gemm, a Transpose), or it is a graph output. Null when it may be quantized.
     */
    String tiedElsewhere() {
        for (Use u : table.uses()) {
            Node n = u.node();
            boolean lookup = n.opType().equals("Gather") && n.domainName().isEmpty() && u.index() == 0 && alongRows(n);
            if (!lookup) return "its table is tied to " + n + ", which reads it as float";
        }
        if (table.isGraphOutput()) return "its table is a graph output";
        return null;
    }

    long tableBytes() {
        Tensor t = table.initializer();
        return t.byteSize();
    }

    @Override
    public String toString() {
        return name();
    }
}
