package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class DirectBuffersTest {
    @Test
    void aBufferGivenBackIsTakenAgainForTheSameSize() {
        DirectBuffers pool = new DirectBuffers(1 << 20);
        ByteBuffer a = pool.take(1024);
        assertTrue(a.isDirect());
        assertEquals(ByteOrder.LITTLE_ENDIAN, a.order());
        a.putInt(7).flip();
        pool.give(a);
        ByteBuffer b = pool.take(1024);
        assertSame(a, b);
        assertEquals(0, b.position());
        assertEquals(1024, b.remaining());
        assertNotSame(b, pool.take(1024)); // none idle: a new one
        assertEquals(512, pool.take(512).capacity());
    }

    @Test
    void idleBuffersStayWithinTheLimit() {
        DirectBuffers pool = new DirectBuffers(1500);
        ByteBuffer a = pool.take(1000);
        ByteBuffer b = pool.take(1000);
        pool.give(a);
        pool.give(b); // over the limit: dropped
        assertSame(a, pool.take(1000));
        assertNotSame(b, pool.take(1000));
    }
}
