package dev.tailor.compiler.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Tensor bytes held in memory: the form of tensors that passes create. */
public final class HeapData implements TensorData {
    private final ByteBuffer bytes;

    /** Wraps {@code bytes} (from position to limit) without copying; the caller must not change them afterwards. */
    public HeapData(ByteBuffer bytes) {
        this.bytes = bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public HeapData(byte[] bytes) {
        this(ByteBuffer.wrap(bytes));
    }

    @Override
    public long byteSize() {
        return bytes.remaining();
    }

    @Override
    public ByteBuffer bytes() {
        return bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
}
