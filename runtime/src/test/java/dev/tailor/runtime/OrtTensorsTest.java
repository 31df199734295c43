package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Unit checks of {@link OrtTensors} and {@link Comparison}. */
class OrtTensorsTest {

    @Test
    void everySupportedTypeCrossesBothWaysUnchanged() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        DataType[] types = {DataType.FLOAT, DataType.DOUBLE, DataType.INT8, DataType.UINT8, DataType.INT16,
                DataType.INT32, DataType.INT64, DataType.BOOL, DataType.FLOAT16, DataType.BFLOAT16};
        for (DataType type : types) {
            long[] dims = {2, 3};
            byte[] bytes = new byte[(int) type.byteSize(6)];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (type == DataType.BOOL ? i % 2 : i * 37 + 1);
            Tensor t = Tensor.of("t", type, dims, new HeapData(bytes));
            try (OnnxTensor ort = OrtTensors.toOrt(env, t)) {
                Tensor back = OrtTensors.fromOrt("t", ort);
                assertEquals(type, back.dataType());
                assertArrayEquals(dims, back.dims());
                assertEquals(t.bytes(), back.bytes(), type.toString());
            }
        }
        Tensor scalar = Tensor.ofFloats("s", new long[0], 2.5f);
        Tensor empty = Tensor.ofFloats("e", new long[] {0, 4});
        for (Tensor t : List.of(scalar, empty)) {
            try (OnnxTensor ort = OrtTensors.toOrt(env, t)) {
                Tensor back = OrtTensors.fromOrt(t.name(), ort);
                assertArrayEquals(t.dims(), back.dims());
                assertEquals(t.bytes(), back.bytes());
            }
        }
        Tensor strings = Tensor.ofStrings("s", new long[] {2, 2}, List.of("a", "bé", "", "d"));
        try (OnnxTensor ort = OrtTensors.toOrt(env, strings)) {
            Tensor back = OrtTensors.fromOrt("s", ort);
            assertEquals(DataType.STRING, back.dataType());
            assertEquals(strings.strings(), back.strings());
        }
    }

    @Test
    void unsupportedTypesAreRefusedByName() {
        Tensor t = Tensor.of("u", DataType.UINT32, new long[] {1}, new HeapData(new byte[4]));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> OrtTensors.toOrt(OrtEnvironment.getEnvironment(), t));
        assertTrue(e.getMessage().contains("UINT32"), e.getMessage());
        assertFalse(OrtTensors.canConvert(DataType.FLOAT8E4M3FN));
        assertTrue(OrtTensors.canConvert(DataType.BFLOAT16));
    }

    @Test
    void halfAndBfloat16Decode() {
        assertEquals(1.0f, Comparison.halfToFloat((short) 0x3C00));
        assertEquals(-2.0f, Comparison.halfToFloat((short) 0xC000));
        assertEquals(65504.0f, Comparison.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, Comparison.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(0x1p-14f, Comparison.halfToFloat((short) 0x0400)); // smallest normal
        assertEquals(0x3FFp-24f, Comparison.halfToFloat((short) 0x03FF)); // largest subnormal
        assertEquals(-0.0f, Comparison.halfToFloat((short) 0x8000));
        assertEquals(Float.POSITIVE_INFINITY, Comparison.halfToFloat((short) 0x7C00));
        assertTrue(Float.isNaN(Comparison.halfToFloat((short) 0x7E00)));
        assertEquals(1.0f, Comparison.bfloat16ToFloat((short) 0x3F80));
        assertEquals(-3.0f, Comparison.bfloat16ToFloat((short) 0xC040));
    }

    @Test
    void allCloseFollowsNumpy() {
        Tensor expected = Tensor.ofFloats("e", new long[] {2, 2}, 1f, Float.NaN, Float.POSITIVE_INFINITY, 100f);
        assertTrue(Comparison.allClose(Tensor.ofFloats("a", new long[] {2, 2}, 1f, Float.NaN,
                Float.POSITIVE_INFINITY, 100.09f), expected, 1e-3, 0).passed());
        Comparison.Result r = Comparison.allClose(Tensor.ofFloats("a", new long[] {2, 2}, 1f, 0f,
                Float.POSITIVE_INFINITY, 100.2f), expected, 1e-3, 0);
        assertEquals(2, r.mismatches());
        assertArrayEquals(new long[] {0, 1}, r.firstMismatch());
        assertEquals(0.2, r.maxAbsError(), 1e-5);
        assertFalse(Comparison.allClose(Tensor.ofFloats("a", new long[] {4}, 1f, 2f, 3f, 4f), expected, 1, 1)
                .passed(), "shapes differ");

        // Half-precision values compare by value, not by bits.
        ByteBuffer a = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3C00).putShort((short) 0x0000);
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3C01).putShort((short) 0x8000);
        Tensor ha = Tensor.of("a", DataType.FLOAT16, new long[] {2}, new HeapData(a.array()));
        Tensor hb = Tensor.of("b", DataType.FLOAT16, new long[] {2}, new HeapData(b.array()));
        assertTrue(Comparison.allClose(ha, hb, 1e-3, 0).passed()); // 1 vs 1.000977, 0 vs -0
        assertFalse(Comparison.allClose(ha, hb, 1e-4, 0).passed());

        // 64-bit integers beyond 2^53 compare exactly.
        Tensor big = Tensor.ofLongs("a", new long[] {1}, (1L << 60) + 1);
        Tensor big2 = Tensor.ofLongs("b", new long[] {1}, (1L << 60));
        assertTrue(Comparison.allClose(big, big, 0, 0).passed());
        assertFalse(Comparison.allClose(big, big2, 0, 0).passed());

        Tensor u = Tensor.ofFloats("u", new long[] {3}, 1f, 2f, 3f);
        Tensor v = Tensor.ofFloats("v", new long[] {3}, 2f, 4f, 6f);
        Tensor w = Tensor.ofFloats("w", new long[] {3}, -3f, 0f, 1f);
        assertEquals(1.0, Comparison.cosineSimilarity(u, v), 1e-12);
        assertEquals(0.0, Comparison.cosineSimilarity(u, w), 1e-12);
        assertTrue(Double.isNaN(Comparison.cosineSimilarity(expected, expected)));
    }
}
