package dev.tailor.compiler.ir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Where a tensor's bytes live. Implementations load lazily: embedded data aliases the memory-mapped model file,
 * external data maps its file region on first touch, and only new tensors hold heap bytes.
 * Bytes are in ONNX's raw form: little-endian, sub-byte types packed.
 */
public interface TensorData {

    /** Size of the raw form in bytes. */
    long byteSize();

    /**
     * The bytes as a read-only little-endian buffer positioned at 0. Fails for data above 2 GiB, which must be
     * streamed with {@link #writeTo}.
     */
    ByteBuffer bytes();

    /** Streams the raw bytes to {@code out}, in chunks, without holding them on the heap. */
    default void writeTo(WritableByteChannel out) throws IOException {
        ByteBuffer b = bytes().duplicate();
        while (b.hasRemaining()) out.write(b);
    }

    /** Checks a data size that must fit one buffer. */
    static int checkedBufferSize(long size, String what) {
        if (size > Integer.MAX_VALUE - 8)
            throw new UnsupportedOperationException(what + " is " + size
                    + " bytes, more than one buffer holds; stream it with writeTo instead");
        return (int) size;
    }
}
