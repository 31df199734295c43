package dev.tailor.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.TensorData;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriterTest {
    @TempDir
    Path dir;

    /** y = x·W + b with random weights of {@code n}×{@code n}. */
    static Model linear(int n, long seed) {
        Random r = new Random(seed);
        float[] w = new float[n * n];
        float[] b = new float[n];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        GraphBuilder g = new GraphBuilder("linear");
        Value x = g.input("x", Type.tensor(DataType.FLOAT, "batch", n));
        Value y = g.op("Add", g.op("MatMul", x, g.initializer(Tensor.ofFloats("W", new long[] {n, n}, w))),
                g.initializer(Tensor.ofFloats("b", new long[] {n}, b)));
        g.output(y);
        return Model.of(g.build(), 17);
    }

    private static Tensor initializer(Model m, String name) {
        for (Value v : m.graph().initializers()) if (v.name().equals(name)) return v.initializer();
        throw new AssertionError("no initializer " + name);
    }

    private static byte[] bytes(Tensor t) {
        ByteBuffer b = t.bytes();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void externalDataAboveTheThresholdWithAlignedOffsets() throws IOException {
        Model m = linear(64, 1);
        Path out = dir.resolve("lin.onnx");
        OnnxWriter.Result r = OnnxWriter.write(m, out, OnnxWriter.Options.defaults().withExternalDataThreshold(1024L));
        assertEquals(1, r.externalTensors(), "W (16 KiB) goes out, b (256 B) stays");
        assertEquals(dir.resolve("lin.onnx.data"), r.dataFile());
        ModelProto p = OnnxReader.readProto(out);
        TensorProto w = p.getGraph().getInitializer(0);
        assertEquals(TensorProto.DataLocation.EXTERNAL, w.getDataLocation());
        assertEquals("lin.onnx.data", w.getExternalData(0).getValue());
        assertEquals(0, Long.parseLong(w.getExternalData(1).getValue()) % 64);
        assertFalse(p.getGraph().getInitializer(1).hasDataLocation());

        Model back = OnnxReader.read(out);
        assertTrue(initializer(back, "W").data() instanceof MappedData);
        assertArrayEquals(bytes(initializer(m, "W")), bytes(initializer(back, "W")));
        assertArrayEquals(bytes(initializer(m, "b")), bytes(initializer(back, "b")));

        // Re-embedding brings everything back into one file.
        OnnxWriter.Result r2 = OnnxWriter.write(back, dir.resolve("again.onnx"),
                OnnxWriter.Options.defaults().withExternalDataThreshold(Long.MAX_VALUE));
        assertNull(r2.dataFile());
        assertArrayEquals(bytes(initializer(m, "W")), bytes(initializer(OnnxReader.read(dir.resolve("again.onnx")), "W")));
    }

    @Test
    void externalDataStaysExternalByDefault() throws IOException {
        Path first = dir.resolve("a.onnx");
        OnnxWriter.write(linear(32, 2), first, OnnxWriter.Options.defaults().withExternalDataThreshold(0L));
        Model read = OnnxReader.read(first);
        OnnxWriter.Result r = OnnxWriter.write(read, dir.resolve("b.onnx"));
        assertEquals(2, r.externalTensors());
        assertTrue(Files.exists(dir.resolve("b.onnx.data")));
    }

    @Test
    void writingAModelOverItsOwnFilesKeepsTheDataItReads() throws IOException {
        Path p = dir.resolve("self.onnx");
        Model m = linear(32, 3);
        OnnxWriter.write(m, p, OnnxWriter.Options.defaults().withExternalDataThreshold(0L));
        Model read = OnnxReader.read(p);
        // Same files, but a different layout: b first would shift W's offset if the old file were re-read.
        OnnxWriter.write(read, p, new OnnxWriter.Options(0L, null));
        OnnxWriter.write(read, p, new OnnxWriter.Options(null, null));
        assertArrayEquals(bytes(initializer(m, "W")), bytes(initializer(OnnxReader.read(p), "W")));
        assertArrayEquals(bytes(initializer(m, "W")), bytes(initializer(read, "W")));
    }

    @Test
    void theProtobufLimitForcesExternalData() throws IOException {
        Model m = linear(64, 4);
        OnnxWriter.Result r = OnnxWriter.write(m, dir.resolve("big.onnx"), OnnxWriter.Options.defaults(), 8 * 1024);
        assertTrue(r.externalForcedBySize());
        assertEquals(1, r.externalTensors());
        assertTrue(r.modelBytes() < 8 * 1024);
        assertArrayEquals(bytes(initializer(m, "W")), bytes(initializer(OnnxReader.read(dir.resolve("big.onnx")), "W")));
    }

    /** Data that fails after some bytes, as a full disk would. */
    static final class FailingData implements TensorData {
        @Override
        public long byteSize() {
            return 4096;
        }

        @Override
        public ByteBuffer bytes() {
            return ByteBuffer.allocate(4096);
        }

        @Override
        public void writeTo(WritableByteChannel out) throws IOException {
            out.write(ByteBuffer.allocate(100));
            throw new IOException("No space left on device");
        }
    }

    @Test
    void aFailedWriteLeavesNoPartialFileAndKeepsTheOldOne() throws IOException {
        Path out = dir.resolve("out.onnx");
        Files.write(out, "old".getBytes());
        Model m = linear(4, 5);
        m.graph().addInitializer(Tensor.of("bad", DataType.FLOAT, new long[] {1024}, new FailingData()));
        assertThrows(Exception.class,
                () -> OnnxWriter.write(m, out, OnnxWriter.Options.defaults().withExternalDataThreshold(0L)));
        assertEquals("old", Files.readString(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "no temporary or data file left behind");
        }
    }

    @Test
    void tensorsAboveTwoGibibytesStreamInChunks() throws IOException {
        long size = (1L << 31) + 4096 + 3; // past the 2 GiB mapping limit
        Path data = dir.resolve("huge.bin");
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
            f.setLength(size); // sparse: no disk space used
            f.seek(size - 1);
            f.write(42);
            f.seek(MappedData.class.getName().length()); // a marker inside the first chunk
            f.write(7);
        }
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            MappedData d = new MappedData(ch, data, 0, size);
            Tensor t = Tensor.of("huge", DataType.UINT8, new long[] {size}, d);
            assertEquals(size, t.byteSize());
            assertThrows(UnsupportedOperationException.class, t::bytes);
            long[] seen = {0};
            int[] last = {-1};
            int[] marker = {-1};
            d.writeTo(new WritableByteChannel() {
                @Override
                public int write(ByteBuffer src) {
                    int n = src.remaining();
                    long at = seen[0];
                    long m = MappedData.class.getName().length();
                    if (m >= at && m < at + n) marker[0] = src.get(src.position() + (int) (m - at));
                    if (at + n == size) last[0] = src.get(src.limit() - 1);
                    src.position(src.limit());
                    seen[0] += n;
                    return n;
                }

                @Override
                public boolean isOpen() {
                    return true;
                }

                @Override
                public void close() {}
            });
            assertEquals(size, seen[0]);
            assertEquals(7, marker[0]);
            assertEquals(42, last[0]);
        }
    }

    @Test
    void heapTensorsRoundTripEveryNumericType() throws IOException {
        GraphBuilder g = new GraphBuilder("types");
        Value x = g.input("x", Type.tensor(DataType.FLOAT, 1));
        g.output(x);
        Random r = new Random(6);
        for (DataType t : DataType.values()) {
            if (t == DataType.UNDEFINED || t == DataType.STRING) continue;
            byte[] raw = new byte[(int) t.byteSize(5)];
            r.nextBytes(raw);
            g.initializer(Tensor.of("t_" + t, t, new long[] {5}, new HeapData(raw)));
        }
        g.initializer(Tensor.ofStrings("s", new long[] {2}, List.of("héllo", "")));
        Model m = Model.of(g.build(), 21);
        Path out = dir.resolve("types.onnx");
        OnnxWriter.write(m, out);
        Model back = OnnxReader.read(out);
        for (Value v : m.graph().initializers()) {
            Tensor a = v.initializer();
            Tensor b = initializer(back, v.name());
            assertEquals(a.dataType(), b.dataType(), v.name());
            if (a.dataType() == DataType.STRING) assertEquals(a.strings(), b.strings());
            else assertArrayEquals(bytes(a), bytes(b), v.name());
        }
    }
}
