package dev.tailor.compiler.ir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * Tensor bytes in a region of a file (ONNX external data), memory-mapped on first touch.
 * Regions above 2 GiB are mapped in chunks, since Java 17 maps at most 2 GiB at once.
 * The file is held open from the time it was read, so replacing it on disk (say, by writing a model over its
 * own data file) does not change what this tensor sees.
 */
public final class MappedData implements TensorData {
    /** Chunk size for streaming large regions. */
    static final long CHUNK = 1L << 30;

    private final FileChannel channel;
    private final Path file;
    private final long offset;
    private final long length;
    private volatile ByteBuffer mapped;

    /** A region of {@code channel}, an open read-only channel of {@code file}. */
    public MappedData(FileChannel channel, Path file, long offset, long length) {
        if (offset < 0 || length < 0) throw new IllegalArgumentException("negative offset or length");
        this.channel = channel;
        this.file = file;
        this.offset = offset;
        this.length = length;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    @Override
    public long byteSize() {
        return length;
    }

    @Override
    public ByteBuffer bytes() {
        ByteBuffer b = mapped;
        if (b == null) {
            int size = TensorData.checkedBufferSize(length, "external tensor data in " + file);
            b = map(offset, size);
            mapped = b;
        }
        return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
        if (length <= CHUNK) {
            TensorData.super.writeTo(out);
            return;
        }
        // Large regions: map one chunk at a time so that the address space in use stays bounded.
        for (long done = 0; done < length; ) {
            long n = Math.min(CHUNK, length - done);
            MappedByteBuffer chunk = channel.map(FileChannel.MapMode.READ_ONLY, offset + done, n);
            while (chunk.hasRemaining()) out.write(chunk);
            done += n;
        }
    }

    private ByteBuffer map(long at, int size) {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, at, size).asReadOnlyBuffer();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + file + " at offset " + at, e);
        }
    }
}
