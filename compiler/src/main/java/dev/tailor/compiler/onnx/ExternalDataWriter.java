package dev.tailor.compiler.onnx;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends tensor bytes to an external data file (a temporary file until the writer commits it). Each tensor
 * starts at an aligned offset so that runtimes can map it directly: 64 bytes for small tensors, 4 KiB (a page)
 * for tensors of 1 MiB or more.
 */
final class ExternalDataWriter implements TensorSink, AutoCloseable {
    static final long PAGE_ALIGN_FROM = 1 << 20;

    private final Path temp;
    private final String location;
    private final Long threshold;
    private FileChannel channel;
    private long position;
    private int count;

    /**
     * @param temp      where to write until commit
     * @param location  the data file's name as the model will refer to it (relative to the model)
     * @param threshold initializers of at least this many bytes go to the file; null keeps each tensor where
     *                  it was read from
     */
    ExternalDataWriter(Path temp, String location, Long threshold) {
        this.temp = temp;
        this.location = location;
        this.threshold = threshold;
    }

    @Override
    public boolean externalize(Tensor t, boolean initializer) {
        if (t.dataType() == null || t.dataType() == DataType.STRING || t.data() == null) return false;
        return goesExternal(t, initializer, threshold);
    }

    /** The placement rule, shared with the writer's size estimate. */
    static boolean goesExternal(Tensor t, boolean initializer, Long threshold) {
        if (initializer && threshold != null) return t.byteSize() >= threshold;
        return t.data() instanceof MappedData; // without a threshold, external data stays external
    }

    @Override
    public Region write(Tensor t) throws IOException {
        if (channel == null)
            channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        long length = t.byteSize();
        long align = length >= PAGE_ALIGN_FROM ? 4096 : 64;
        long start = (position + align - 1) / align * align;
        if (start > position) {
            channel.position(position);
            ByteBuffer pad = ByteBuffer.allocate((int) (start - position));
            while (pad.hasRemaining()) channel.write(pad);
        }
        channel.position(start);
        t.data().writeTo(channel);
        position = start + length;
        count++;
        return new Region(location, start, length);
    }

    /** True if any tensor was written. */
    boolean used() {
        return channel != null;
    }

    int tensorCount() {
        return count;
    }

    long bytes() {
        return position;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) channel.close();
    }
}
