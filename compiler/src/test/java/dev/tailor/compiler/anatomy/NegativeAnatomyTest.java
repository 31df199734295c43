package dev.tailor.compiler.anatomy;

import static dev.tailor.compiler.anatomy.Net.F;
import static dev.tailor.compiler.anatomy.Net.H;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Models that are not transformers, or almost: anatomy finds no blocks and says why, naming the node and the
 * condition that failed.
 */
class NegativeAnatomyTest {
    static final Path DATA = Path.of("/usr/share/libonnx-testdata/data/pytorch-converted");

    private static List<String> conditions(Anatomy a) {
        return a.unplaced().stream().map(Unplaced::condition).toList();
    }

    private static Unplaced at(Anatomy a, String nodeName) {
        for (Unplaced u : a.unplaced()) if (u.node() != null && nodeName.equals(u.node().name())) return u;
        throw new AssertionError("nothing unplaced at '" + nodeName + "': " + a.unplaced());
    }

    @Test
    void conformanceConvolutionsHaveNoBlocks() throws IOException {
        assertTrue(Files.isDirectory(DATA), DATA + " is missing: install Debian's libonnx-testdata (.ci/run does)");
        List<Path> cases;
        try (Stream<Path> s = Files.list(DATA)) {
            cases = s.filter(p -> p.getFileName().toString().startsWith("test_Conv")).sorted().toList();
        }
        assertEquals(28, cases.size(), "the Conv1d/2d/3d and ConvTranspose2d cases");
        for (Path c : cases) {
            Anatomy a = Anatomy.of(OnnxReader.read(c.resolve("model.onnx")));
            String name = c.getFileName().toString();
            assertFalse(a.isTransformer(), name);
            assertEquals(List.of(), a.streams(), name);
            Unplaced first = a.unplaced().get(0);
            assertNull(first.node(), name);
            assertEquals("no residual connection: the graph has no Add or Skip*LayerNormalization of two activations",
                    first.condition(), name);
            Node conv = OnnxReader.read(c.resolve("model.onnx")).graph().firstNode();
            Unplaced second = a.unplaced().get(1);
            assertEquals(conv.opType(), second.node().opType(), name);
            assertTrue(second.condition().startsWith("convolution with weight 1["), name + ": " + second);
            assertTrue(second.condition().endsWith("is in no block and is not a patch embedding"), name + ": "
                    + second);
            AnatomyException e = assertThrows(AnatomyException.class, a::requireBlocks);
            assertTrue(e.getMessage().startsWith("no transformer blocks found: no residual connection"),
                    e.getMessage());
        }
    }

    /** Attention and an FFN with every weight in place, but nothing adds back to the stream. */
    @Test
    void attentionAndFfnWithoutResidualAdds() {
        Net t = new Net();
        Value x = t.hidden("x");
        Value h = t.layerNorm(x, "ln");
        Value q = t.matmul(h, "q", H, H);
        Value k = t.matmul(h, "k", H, H);
        Value v = t.matmul(h, "v", H, H);
        Value p = t.op("Softmax", t.op("MatMul", q, t.transpose(k, 0, 2, 1)));
        Value o = t.matmul(t.op("MatMul", p, v), "o", H, H);
        t.b.output(t.matmul(t.op("Relu", t.matmul(o, "up", H, F)), "down", F, H));
        Anatomy a = Anatomy.of(t.model());
        assertFalse(a.isTransformer());
        List<String> c = conditions(a);
        assertEquals("no residual connection: the graph has no Add or Skip*LayerNormalization of two activations",
                c.get(0));
        assertTrue(c.contains("Softmax is in no attention sublayer"), c.toString());
        assertTrue(c.contains("weight projection q[16, 16] is in no block, embedding or head"), c.toString());
        assertTrue(c.contains("weight projection down[32, 16] is in no block, embedding or head"), c.toString());
        assertTrue(c.contains("LayerNorm (LayerNormalization) is on no residual stream"), c.toString());
        assertEquals(9, c.size(), "the model-level reason, the norm, 6 projections and the Softmax: " + c);
    }

    /**
     * Four residual adds whose branches are not sublayers: one linear layer; attention with no output projection;
     * queries and keys from one unsplit projection; three linear layers in a row. Each is reported at its node.
     */
    @Test
    void almostATransformer() {
        Net t = new Net();
        Value x = t.hidden("x");
        // 1: x + W(ln(x)): a single projection
        Value r1 = t.op("Add", x, t.matmul(t.layerNorm(x, "ln1"), "lin", H, H));
        // 2: attention whose context goes straight back to the stream
        Value h = t.layerNorm(r1, "ln2");
        Value p = t.op("Softmax", t.op("MatMul", t.matmul(h, "q2", H, H), t.transpose(t.matmul(h, "k2", H, H), 0, 2,
                1)));
        Value r2 = t.op("Add", r1, t.op("MatMul", p, t.matmul(h, "v2", H, H)));
        // 3: queries and keys both the whole of one projection
        h = t.layerNorm(r2, "ln3");
        Value qk = t.matmul(h, "qk3", H, H);
        p = t.op("Softmax", t.op("MatMul", qk, t.transpose(qk, 0, 2, 1)));
        Value r3 = t.op("Add", r2, t.matmul(t.op("MatMul", p, t.matmul(h, "v3", H, H)), "o3", H, H));
        // 4: three projections in a chain
        h = t.layerNorm(r3, "ln4");
        Value mid = t.op("Relu", t.matmul(t.op("Relu", t.matmul(h, "a4", H, F)), "b4", F, F));
        Value r4 = t.op("Add", r3, t.matmul(mid, "c4", F, H));
        t.b.output(r4);
        Model m = t.model();
        Anatomy a = Anatomy.of(m);
        assertFalse(a.isTransformer(), a.toString());
        assertEquals(List.of(), a.blocks());
        List<Node> adds = new ArrayList<>();
        for (Node n : m.graph().nodes()) if (n.opType().equals("Add")) adds.add(n);
        assertEquals(4, adds.size());
        assertEquals("its branch has one weight projection (MatMul '" + producerName(m, "lin")
                        + "'); an FFN has an up and a down projection and attention a Softmax over queries x keys",
                at(a, adds.get(0).name()).condition());
        Unplaced second = a.unplaced().get(1);
        assertEquals("Softmax", second.node().opType());
        assertEquals("no output projection reads the attention output before the residual add", second.condition());
        Unplaced third = a.unplaced().get(2);
        assertEquals(producerName(m, "qk3"), third.node().name());
        assertTrue(third.condition().startsWith("the queries and the keys of Softmax '"), third.condition());
        assertTrue(third.condition().endsWith("read the whole of this projection; no split separates them"),
                third.condition());
        assertEquals("its branch has 3 weight projections (MatMul '" + producerName(m, "a4") + "', MatMul '"
                + producerName(m, "b4") + "', MatMul '" + producerName(m, "c4")
                        + "'); an FFN has 2 (up, down) or 3 (gate, up, down)",
                at(a, adds.get(3).name()).condition());
        assertEquals(4, a.unplaced().size(), a.unplaced().toString());
    }

    /** The name of the MatMul that reads weight {@code w}. */
    private static String producerName(Model m, String w) {
        for (Node n : m.graph().nodes())
            if (n.opType().equals("MatMul") && n.input(1) != null && n.input(1).name().equals(w)) return n.name();
        throw new AssertionError(w);
    }

    /** An attention mask added to the scores is not a residual connection, although everything after depends on it. */
    @Test
    void anAddedMaskIsNotAResidual() {
        Net t = new Net();
        Value x = t.hidden("x");
        Value mask = t.input("mask", dev.tailor.compiler.ir.DataType.FLOAT, "batch", 1, "seq");
        Value h = x;
        for (int i = 0; i < 2; i++) {
            Value s = t.op("MatMul", t.matmul(h, i + ".q", H, H), t.transpose(t.matmul(h, i + ".k", H, H), 0, 2, 1));
            Value p = t.op("Softmax", List.of(t.op("Add", s, mask)), Attribute.of("axis", -1L));
            h = t.layerNorm(t.op("Add", h, t.matmul(t.op("MatMul", p, t.matmul(h, i + ".v", H, H)), i + ".o", H, H)), i
                    + ".ln");
        }
        t.b.output(h);
        Anatomy a = Anatomy.of(t.model());
        assertEquals(List.of(), a.unplaced());
        assertEquals(2, a.blocks().size());
        Attention att = a.sublayer("b1.attn").attention();
        assertEquals(List.of("input"), att.mask(), "a mask from a graph input");
        assertNull(att.causal(), "a [batch, 1, seq] input may or may not be causal: not guessed");
        assertEquals("stream", a.streams().get(0).name(), "neither encoder nor decoder is known");
        assertEquals("post", a.streams().get(0).normPlacement());
    }
}
