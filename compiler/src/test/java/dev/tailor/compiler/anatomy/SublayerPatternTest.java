package dev.tailor.compiler.anatomy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SublayerPatternTest {

    @Test
    void wildcardsMatchWithinOneSegment() {
        SublayerPattern p = SublayerPattern.parse("*.ffn.down");
        assertTrue(p.matches("b0.ffn.down"));
        assertTrue(p.matches("b11.ffn.down"));
        assertFalse(p.matches("b0.ffn.up"));
        assertFalse(p.matches("b0.attn.o"));
        assertFalse(p.matches("b0.ffn"), "segment counts must agree");
        assertFalse(p.matches("x.b0.ffn.down"));
        assertEquals(3, p.depth());

        SublayerPattern b1 = SublayerPattern.parse("b1*.ffn");
        assertTrue(b1.matches("b1.ffn"));
        assertTrue(b1.matches("b10.ffn"));
        assertFalse(b1.matches("b2.ffn"));
        assertFalse(b1.matches("b1.xattn"));

        SublayerPattern any = SublayerPattern.parse("b3.*");
        assertTrue(any.matches("b3.attn"));
        assertTrue(any.matches("b3.xattn"));
        assertFalse(any.matches("b3.attn.q"));
        assertTrue(SublayerPattern.parse("*attn").matches("xattn"));
        assertTrue(SublayerPattern.parse("b3.attn").matches("b3.attn"));
        assertFalse(SublayerPattern.parse("b3.attn").matches("b3.xattn"), "no implicit wildcard");
    }

    @Test
    void badPatternsAreRefusedWithTheReason() {
        for (String bad : List.of("", "b3..ffn", ".ffn", "b3.ffn.", "b3 ffn", "b[0-3].ffn")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SublayerPattern.parse(bad));
            assertTrue(e.getMessage().startsWith("bad sublayer pattern '" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void selectsFromAnAnatomy() {
        Anatomy a = Anatomy.of(FusedAnatomyTest.llama(false));
        assertEquals(List.of("b0.ffn.down", "b1.ffn.down"),
                a.weights(SublayerPattern.parse("*.ffn.down")).stream().map(Weight::id).toList());
        assertEquals(List.of("b1.attn.q", "b1.attn.k", "b1.attn.v", "b1.attn.o"),
                a.weights(SublayerPattern.parse("b1.attn.*")).stream().map(Weight::id).toList());
        assertEquals(List.of("b0.attn", "b1.attn"),
                a.sublayers(SublayerPattern.parse("*.attn")).stream().map(Sublayer::id).toList());
        assertEquals(List.of("b1"), a.blocks(SublayerPattern.parse("b1")).stream().map(Block::id).toList());
        assertEquals("1.gate_proj", a.weight("b1.ffn.gate").matrix().name());
        AnatomyException e = assertThrows(AnatomyException.class,
                () -> a.requireSublayers(SublayerPattern.parse("b7.*")));
        assertEquals("no sublayer matches 'b7.*' (the model has b0..b1)", e.getMessage());
    }
}
