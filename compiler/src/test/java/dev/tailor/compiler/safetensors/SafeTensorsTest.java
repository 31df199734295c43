package dev.tailor.compiler.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Floats;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void writesAndReadsBackF32F16Bf16WithMetadata() {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("w", Tensor.ofFloats("w", new long[] {2, 3}, 1, -2, 3.5f, 0, 1e-3f, -7));
        // 1.0 and -2.0 in float16 (0x3C00, 0xC000); 1.0 and 0.5 in bfloat16 (0x3F80, 0x3F00)
        in.put("h", Tensor.of("h", DataType.FLOAT16, new long[] {2}, new HeapData(new byte[] {0, 0x3C, 0, (byte) 0xC0})));
        in.put("b", Tensor.of("b", DataType.BFLOAT16, new long[] {2}, new HeapData(new byte[] {(byte) 0x80, 0x3F, 0, 0x3F})));
        Path f = dir.resolve("x.safetensors");
        SafeTensors.write(f, in, Map.of("format", "pt"));
        SafeTensors st = SafeTensors.read(f);
        assertEquals(java.util.List.of("w", "h", "b"), java.util.List.copyOf(st.tensors().keySet()));
        assertEquals(Map.of("format", "pt"), st.metadata());
        assertArrayEquals(in.get("w").toFloats(), st.require("w").toFloats());
        assertArrayEquals(new long[] {2, 3}, st.require("w").dims());
        assertArrayEquals(new float[] {1, -2}, Floats.decode(st.require("h")));
        assertArrayEquals(new float[] {1, 0.5f}, Floats.decode(st.require("b")));
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> st.require("nope"));
        assertTrue(e.getMessage().contains("tensor 'nope': not in the file"), e.getMessage());
    }

    @Test
    void readsTheHeaderLayoutPythonWrites() throws IOException {
        // compact JSON, padded with spaces, as testdata/scripts/make_lora_adapters.py and the safetensors library write
        Path f = file("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]}}   ", 8);
        assertEquals(2, SafeTensors.read(f).require("a").elementCount());
    }

    @Test
    void malformedFilesGetOneLineNamingFileTensorAndProblem() throws IOException {
        assertError(Files.write(dir.resolve("short"), new byte[] {1, 2}), "truncated: 2 bytes");
        assertError(file("{\"a\":", 0), "bad header: invalid JSON");
        assertError(file("[1, 2]", 0), "bad header: expected a JSON object");
        assertError(file("{\"a\":{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'a': unknown dtype 'F17'");
        assertError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                "tensor 'a': data_offsets [0, 8] hold 8 bytes, but F32[3] needs 12");
        assertError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
                "tensor 'a': data_offsets [0, 16] run past the end of the data (8 bytes");
        assertError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
                "tensor 'b': data_offsets [4, 12] overlap tensor 'a'");
        assertError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "tensor 'a': data_offsets [4, 8] leave bytes 0..4 of the data unused");
        assertError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8),
                "tensor 'a': data_offsets [8, 4] end before they begin");
        assertError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'a': bad header entry: shape holds -1");
        // a header length beyond the file: a truncated file
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put("{}      ".getBytes());
        assertError(Files.write(dir.resolve("cut"), b.array()), "bad header length 1000: the file has 8 bytes");
    }

    private void assertError(Path f, String expected) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private int count;

    /** A file with {@code header} and {@code data} zero bytes after it. */
    private Path file(String header, int data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return Files.write(dir.resolve("f" + count++ + ".safetensors"), b.array());
    }
}
