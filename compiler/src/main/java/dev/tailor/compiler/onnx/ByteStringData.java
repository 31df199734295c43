package dev.tailor.compiler.onnx;

import com.google.protobuf.ByteString;
import dev.tailor.compiler.ir.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A tensor's {@code raw_data}. When the model was parsed from a memory-mapped file with aliasing, the ByteString
 * is a window onto that mapping, so the bytes are never copied.
 */
final class ByteStringData implements TensorData {
    private final ByteString bytes;

    ByteStringData(ByteString bytes) {
        this.bytes = bytes;
    }

    ByteString byteString() {
        return bytes;
    }

    @Override
    public long byteSize() {
        return bytes.size();
    }

    @Override
    public ByteBuffer bytes() {
        return bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}
