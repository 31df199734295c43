package dev.tailor.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a model must not copy its weights onto the heap: raw_data stays a window onto the mapped file. */
class ZeroCopyTest {
    @TempDir
    Path dir;

    @Test
    void embeddedWeightsAliasTheMappedFile() {
        Path p = dir.resolve("m.onnx");
        OnnxWriter.write(WriterTest.linear(256, 7), p);
        Model m = OnnxReader.read(p);
        Tensor w = m.graph().initializers().get(0).initializer();
        ByteBuffer bytes = w.bytes();
        assertEquals(256 * 256 * 4, bytes.remaining());
        assertTrue(bytes.isDirect(), "weights are a view of the memory-mapped file, not a heap copy");
        assertFalse(bytes.hasArray());
    }
}
