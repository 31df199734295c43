package dev.tailor.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Direct buffers kept for reuse by size. ONNX Runtime reads inputs from direct memory, and allocating it is slow
 * (fresh pages, zeroed, freed only by the garbage collector: milliseconds for a 1.5 MB activation, as long as a
 * small model's run), so an evaluator feeding activations back in, run after run, reuses its buffers. Holds at most
 * {@code limit} bytes of idle buffers.
 */
final class DirectBuffers {
    private final Map<Integer, ArrayDeque<ByteBuffer>> idle = new HashMap<>();
    private final long limit;
    private long held;

    DirectBuffers(long limit) {
        this.limit = limit;
    }

    /** A little-endian direct buffer of {@code size} bytes, positioned at 0; its contents are undefined. */
    synchronized ByteBuffer take(int size) {
        ArrayDeque<ByteBuffer> q = idle.get(size);
        ByteBuffer b = q == null ? null : q.poll();
        if (b == null) b = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        else held -= size;
        return b.clear();
    }

    /** Gives {@code b}, which {@link #take} gave, back once nothing reads it any more. */
    synchronized void give(ByteBuffer b) {
        if (held + b.capacity() > limit) return;
        idle.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>()).push(b);
        held += b.capacity();
    }
}
