package dev.tailor.testdata;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.TensorData;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/** Generated models for benchmarks and size tests, built without holding their weights in memory. */
public final class SyntheticModels {
    private SyntheticModels() {}

    /**
     * Writes a stack of {@code x = Relu(x·W_i)} layers with {@code width}×{@code width} float weights, enough
     * layers to reach {@code totalBytes}, with every weight in external data. Weights are a cheap deterministic
     * pseudo-random sequence generated while writing, so the heap never holds them.
     */
    public static OnnxWriter.Result writeLinearStack(Path out, long totalBytes, int width) {
        long layerBytes = 4L * width * width;
        int layers = (int) Math.max(1, (totalBytes + layerBytes - 1) / layerBytes);
        GraphBuilder b = new GraphBuilder("linear_stack");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", width));
        for (int i = 0; i < layers; i++) {
            Tensor w = Tensor.of("layer" + i + ".weight", DataType.FLOAT, new long[] {width, width},
                    new GeneratedFloats(layerBytes, i));
            x = b.op("Relu", b.op("MatMul", x, b.initializer(w)));
        }
        b.output(x);
        return OnnxWriter.write(Model.of(b.build(), 17), out, OnnxWriter.Options.defaults().withExternalDataThreshold(0L));
    }

    /** Floats in [-0.5, 0.5) from a xorshift sequence, produced in chunks as they are written. */
    static final class GeneratedFloats implements TensorData {
        private final long bytes;
        private final long seed;

        GeneratedFloats(long bytes, long seed) {
            this.bytes = bytes;
            this.seed = seed;
        }

        @Override
        public long byteSize() {
            return bytes;
        }

        @Override
        public ByteBuffer bytes() {
            ByteBuffer b = ByteBuffer.allocate(TensorData.checkedBufferSize(bytes, "generated tensor"))
                    .order(ByteOrder.LITTLE_ENDIAN);
            fill(b, new long[] {seed * 0x9E3779B97F4A7C15L + 1});
            return b.flip();
        }

        @Override
        public void writeTo(WritableByteChannel out) throws IOException {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long[] state = {seed * 0x9E3779B97F4A7C15L + 1};
            for (long done = 0; done < bytes; ) {
                chunk.clear();
                chunk.limit((int) Math.min(chunk.capacity(), bytes - done));
                fill(chunk, state);
                chunk.flip();
                while (chunk.hasRemaining()) done += out.write(chunk);
            }
        }

        private static void fill(ByteBuffer b, long[] state) {
            long s = state[0];
            while (b.remaining() >= 4) {
                s ^= s << 13;
                s ^= s >>> 7;
                s ^= s << 17;
                b.putFloat(((s >>> 40) / (float) (1 << 24)) - 0.5f);
            }
            state[0] = s;
        }
    }
}
