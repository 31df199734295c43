package dev.tailor.compiler.onnx;

import dev.tailor.compiler.ir.Tensor;
import java.io.IOException;

/** Decides where the writer puts each tensor's bytes, and stores those that go to an external data file. */
interface TensorSink {

    /** Where a tensor's bytes went in the external data file. */
    record Region(String location, long offset, long length) {}

    /** True if {@code t} should be written to external data; only initializers are ever moved there. */
    boolean externalize(Tensor t, boolean initializer);

    /** Writes the bytes of {@code t} to the external data file. */
    Region write(Tensor t) throws IOException;

    /** Keeps every tensor in the protobuf. */
    TensorSink EMBED = new TensorSink() {
        @Override
        public boolean externalize(Tensor t, boolean initializer) {
            return false;
        }

        @Override
        public Region write(Tensor t) {
            throw new IllegalStateException("embedding sink writes no external data");
        }
    };
}
