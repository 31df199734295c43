package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.util.Arrays;
import java.util.List;

/**
 * Builds small graphs for anatomy tests. Every weight gets its own constant fill, so no two tensors hold the same
 * values (a head compared with the token embedding is tied only when it really is).
 */
final class Net {
    static final int H = 16;
    static final int N = 4;
    static final int HD = 4;
    static final int F = 32;
    static final int V = 50;

    final GraphBuilder b = new GraphBuilder("net");
    private int fills;

    Value input(String name, DataType t, Object... dims) {
        return b.input(name, Type.tensor(t, dims));
    }

    Value hidden(String name) {
        return input(name, DataType.FLOAT, "batch", "seq", H);
    }

    Value ids(String name) {
        return input(name, DataType.INT64, "batch", "seq");
    }

    /** A float weight filled with its own value. */
    Value w(String name, long... dims) {
        float[] data = new float[(int) Tensor.elementCount(dims)];
        Arrays.fill(data, 0.01f * ++fills);
        return b.initializer(Tensor.ofFloats(name, dims, data));
    }

    Value longs(String name, long... values) {
        return b.initializer(Tensor.ofLongs(name, new long[] {values.length}, values));
    }

    Value op(String op, Value... in) {
        return b.op(op, in);
    }

    Value op(String op, List<Value> in, Attribute... attrs) {
        return b.op(op, in, attrs);
    }

    /** A com.microsoft node with {@code outs} outputs; null inputs are omitted optional inputs. */
    Node ms(String op, int outs, Value[] in, Attribute... attrs) {
        Node n = b.node("com.microsoft", op, Arrays.asList(in), outs);
        for (Attribute a : attrs) n.setAttribute(a);
        return n;
    }

    static Value[] in(Value... v) {
        return v;
    }

    Value matmul(Value x, String w, long in, long out) {
        return op("MatMul", x, w(w, in, out));
    }

    Value layerNorm(Value x, String name) {
        return op("LayerNormalization", List.of(x, w(name + ".g", H), w(name + ".b", H)), Attribute.of("epsilon",
                1e-5f));
    }

    Value transpose(Value x, long... perm) {
        return op("Transpose", List.of(x), Attribute.ofInts("perm", perm));
    }

    Model model() {
        Model m = Model.of(b.build(), 17);
        m.opsets().add(new OpsetImport("com.microsoft", 1L));
        return m;
    }
}
