package dev.tailor.compiler.anatomy;

import static dev.tailor.compiler.anatomy.Net.F;
import static dev.tailor.compiler.anatomy.Net.H;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Blocks in the Macaron layout (FFN½ → attention → FFN½): an FFN directly before a self-attention that does not
 * follow another FFN of its block opens that attention's block as {@code bN.ffn_front}; other layouts group as
 * before.
 */
class MacaronAnatomyTest {

    /** Sublayer kinds on the stream, in order: 'f' FFN, 'a' attention; pre-LN or post-LN (front FFNs unnormed). */
    private static Model stack(String kinds, boolean pre) {
        Net t = new Net();
        Value x = t.hidden("x");
        for (int i = 0; i < kinds.length(); i++) {
            boolean attn = kinds.charAt(i) == 'a';
            boolean frontPost = !pre && !attn && i + 1 < kinds.length() && kinds.charAt(i + 1) == 'a';
            Value in = pre ? t.op("RMSNormalization", List.of(x, t.w(i + ".ln", H)), Attribute.of("epsilon", 1e-6f))
                    : x;
            Value branch;
            if (attn) {
                Value a = t.op("Attention", List.of(t.matmul(in, i + ".q", H, H), t.matmul(in, i + ".k", H, H),
                        t.matmul(in, i + ".v", H, H)), Attribute.of("q_num_heads", 4L), Attribute.of("kv_num_heads",
                        4L));
                branch = t.matmul(a, i + ".o", H, H);
            } else {
                branch = t.matmul(t.op("Relu", t.matmul(in, i + ".up", H, F)), i + ".down", F, H);
            }
            x = t.op("Add", x, branch);
            if (!pre && !frontPost) x = t.layerNorm(x, i + ".post");
        }
        if (pre) x = t.op("RMSNormalization", List.of(x, t.w("final", H)));
        t.b.output(x);
        Model m = Model.of(t.b.build(), 23);
        assertEquals(List.of(), Verifier.verify(m), "the test graph itself is valid");
        return m;
    }

    private static List<String> layout(Anatomy a) {
        return a.blocks().stream().map(b -> b.id() + b.sublayers().stream().map(Sublayer::id).toList()).toList();
    }

    @Test
    void preLnMacaronBlocksOpenWithTheirFrontFfn() {
        Anatomy a = Anatomy.of(stack("fafFaf".toLowerCase(), true));
        assertEquals(List.of(), a.unplaced(), a.toString());
        assertEquals(List.of("b0[b0.ffn_front, b0.attn, b0.ffn]", "b1[b1.ffn_front, b1.attn, b1.ffn]"), layout(a));
        Block b1 = a.block("b1");
        assertSame(a.sublayer("b1.ffn_front"), b1.front());
        assertSame(a.sublayer("b1.ffn"), b1.sublayer(SublayerKind.FFN), "the block's FFN is the one after attention");
        assertEquals(Norm.Placement.PRE, b1.front().norm().placement());
        assertEquals("pre", a.streams().get(0).normPlacement());
        assertEquals(new Ffn(F, "relu", false, null), b1.front().ffn());
        assertEquals("b1.ffn_front.down", b1.front().weight(Role.DOWN).id());
    }

    @Test
    void postLnMacaronFrontWithoutANormStillCountsAsPostNorm() {
        Anatomy a = Anatomy.of(stack("fafFaf".toLowerCase(), false));
        assertEquals(List.of(), a.unplaced(), a.toString());
        assertEquals(List.of("b0[b0.ffn_front, b0.attn, b0.ffn]", "b1[b1.ffn_front, b1.attn, b1.ffn]"), layout(a));
        assertNull(a.block("b0").front().norm());
        assertEquals(Norm.Placement.POST, a.sublayer("b0.ffn").norm().placement());
        assertEquals("post", a.streams().get(0).normPlacement());
        assertEquals("encoder: 2 blocks, hidden 16, post-norm", a.toString().lines().findFirst().orElseThrow());
    }

    @Test
    void theUsualLayoutHasNoFront() {
        Anatomy a = Anatomy.of(stack("afaf", true));
        assertEquals(List.of("b0[b0.attn, b0.ffn]", "b1[b1.attn, b1.ffn]"), layout(a));
        assertNull(a.block("b0").front());
    }

    @Test
    void ffnsWithNoAttentionAfterThemStayBlocksOfTheirOwn() {
        assertEquals(List.of("b0[b0.ffn]", "b1[b1.ffn]"), layout(Anatomy.of(stack("ff", true))));
        assertEquals(List.of("b0[b0.attn, b0.ffn]", "b1[b1.ffn]"), layout(Anatomy.of(stack("aff", true))));
    }

    @Test
    void aMacaronBlockMayFollowAnOrdinaryOne() {
        // also what a model with b1.attn pruned away looks like: its FFN now sits right before b2's attention
        assertEquals(List.of("b0[b0.attn, b0.ffn]", "b1[b1.ffn_front, b1.attn, b1.ffn]"),
                layout(Anatomy.of(stack("affaf", true))));
    }
}
