package dev.tailor.passes.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The quantization arithmetic against values worked out by hand (and ONNX's own QuantizeLinear example). */
class QuantMathTest {
    private static final QuantMath.IntRange INT8 = QuantMath.IntRange.of(8, true, false);
    private static final QuantMath.IntRange UINT8 = QuantMath.IntRange.of(8, false, false);
    private static final QuantMath.IntRange INT4 = QuantMath.IntRange.of(4, true, false);
    private static final QuantMath.IntRange UINT4 = QuantMath.IntRange.of(4, false, false);

    @Test
    void rangesOfTheTypes() {
        assertEquals(new QuantMath.IntRange(-128, 127), INT8);
        assertEquals(new QuantMath.IntRange(0, 255), UINT8);
        assertEquals(new QuantMath.IntRange(-8, 7), INT4);
        assertEquals(new QuantMath.IntRange(0, 15), UINT4);
        assertEquals(new QuantMath.IntRange(-64, 63), QuantMath.IntRange.of(8, true, true));
        assertEquals(new QuantMath.IntRange(0, 127), QuantMath.IntRange.of(8, false, true));
    }

    @Test
    void roundingIsHalfToEven() {
        float[] in = {0.5f, 1.5f, 2.5f, 3.5f, -0.5f, -1.5f, -2.5f, 2.4999f, 2.5001f};
        float[] want = {0, 2, 2, 4, -0f, -2, -2, 2, 3};
        for (int i = 0; i < in.length; i++) assertEquals(want[i], QuantMath.roundHalfToEven(in[i]), "round(" + in[i] + ")");
    }

    @Test
    void quantizeLinearMatchesOnnxsExample() {
        // ONNX's QuantizeLinear example: scale 2, zero point 128, uint8.
        float[] x = {0, 2, 3, 1000, -254, -1000};
        int[] want = {128, 129, 130, 255, 1, 0};
        for (int i = 0; i < x.length; i++) assertEquals(want[i], QuantMath.quantize(x[i], 2f, 128, UINT8), "x=" + x[i]);
    }

    @Test
    void saturationAtBothEnds() {
        assertEquals(127, QuantMath.quantize(300f, 1f, 0, INT8));
        assertEquals(-128, QuantMath.quantize(-300f, 1f, 0, INT8));
        assertEquals(0, QuantMath.quantize(-1f, 1f, 0, UINT8));
        assertEquals(7, QuantMath.quantize(9.6f, 1f, 0, INT4));
        assertEquals(-8, QuantMath.quantize(-9.6f, 1f, 0, INT4));
        assertEquals(15, QuantMath.quantize(20f, 1f, 8, UINT4));
        assertEquals(0, QuantMath.quantize(Float.NaN, 1f, 0, INT8));
    }

    @Test
    void asymmetricZeroPoints() {
        // [-1, 2] onto uint8: scale 3/255, zero point round(0 - (-1) / scale) = 85.
        QuantMath.Params p = QuantMath.params(-1f, 2f, UINT8, false);
        assertEquals(3f / 255, p.scale(), 1e-9);
        assertEquals(85, p.zeroPoint());
        assertEquals(85, QuantMath.quantize(0f, p.scale(), p.zeroPoint(), UINT8), "zero is exact");
        assertEquals(0f, QuantMath.dequantize(85, p.scale(), p.zeroPoint()));
        // A range that excludes 0 is widened to include it: [0.5, 1] -> [0, 1], zero point 0.
        QuantMath.Params q = QuantMath.params(0.5f, 1f, UINT8, false);
        assertEquals(1f / 255, q.scale(), 1e-9);
        assertEquals(0, q.zeroPoint());
        // [-2, -1] onto int8 -> [-2, 0]: scale 2/255, zero point round(-128 + 2 / scale) = 127.
        QuantMath.Params r = QuantMath.params(-2f, -1f, INT8, false);
        assertEquals(127, r.zeroPoint());
        // All zeros: scale 1, so nothing divides by zero.
        assertEquals(1f, QuantMath.params(0f, 0f, UINT8, false).scale());
    }

    @Test
    void symmetricZeroPointsAndScales() {
        QuantMath.Params s8 = QuantMath.params(-0.5f, 1.27f, INT8, true);
        assertEquals(0, s8.zeroPoint());
        assertEquals(1.27f / 127, s8.scale(), 1e-9);
        QuantMath.Params u8 = QuantMath.params(-0.5f, 1.27f, UINT8, true);
        assertEquals(128, u8.zeroPoint());
        assertEquals(1.27f / 127, u8.scale(), 1e-9);
        QuantMath.Params s4 = QuantMath.params(-0.7f, 0.2f, INT4, true);
        assertEquals(0, s4.zeroPoint());
        assertEquals(0.1f, s4.scale(), 1e-7);
        assertEquals(8, QuantMath.params(-7f, 7f, UINT4, true).zeroPoint());
        assertEquals(2, QuantMath.quantize(0.25f, 0.1f, 0, INT4)); // 2.5 -> 2
        assertEquals(4, QuantMath.quantize(0.35f, 0.1f, 0, INT4)); // 3.5 -> 4
    }

    /** Columns with absolute maxima 127, 254 and 63.5 have the exact scales 1, 2 and 0.5. */
    private static final float[] W = {
            127f, -254f, 31.75f,
            -63.5f, 1f, 63.5f};

    @Test
    void perChannelScalesRunAlongTheOutputAxis() {
        QuantMath.Quantized q = QuantMath.quantizeMatrix(W, 2, 3, INT8, true, true);
        assertArrayEquals(new float[] {1f, 2f, 0.5f}, q.scales());
        assertArrayEquals(new int[] {0, 0, 0}, q.zeroPoints());
        // -63.5 -> -64 and 63.5 -> 64 (ties to even), 1 / 2 = 0.5 -> 0.
        assertArrayEquals(new int[] {127, -127, 64, -64, 0, 127}, q.values());
    }

    @Test
    void perTensorScaleCoversTheLargestMagnitude() {
        QuantMath.Quantized q = QuantMath.quantizeMatrix(W, 2, 3, INT8, true, false);
        assertArrayEquals(new float[] {2f}, q.scales());
        assertArrayEquals(new int[] {64, -127, 16, -32, 0, 32}, q.values());
    }

    @Test
    void tableRowsHaveOneSymmetricScaleEach() {
        float[] table = {
                1.27f, -0.5f, 0.3f,     // absmax 1.27: scale 0.01
                -254f, 127f, 63f,       // scale 2: -127 (never -128), 63.5 -> 64 (ties to even), 31.5 -> 32
                0f, 0f, 0f,             // zero row: scale 1, all zeros
                0.5f, 1.5f, -127f};     // scale 1: 0.5 -> 0, 1.5 -> 2 (ties to even)
        QuantMath.Quantized q = QuantMath.quantizeRows(table, 4, 3, INT8);
        assertArrayEquals(new float[] {1.27f / 127, 2f, 1f, 1f}, q.scales(), 1e-9f);
        assertArrayEquals(new int[] {0, 0, 0, 0}, q.zeroPoints());
        assertArrayEquals(new int[] {127, -50, 30, -127, 64, 32, 0, 0, 0, 0, 2, -127}, q.values());
        for (int v : q.values()) assertTrue(v >= -127 && v <= 127, "symmetric rows stay within +-127: " + v);
        // Round trip: each element within half a step of its row's scale.
        for (int i = 0; i < table.length; i++) {
            float s = q.scales()[i / 3];
            assertEquals(table[i], QuantMath.dequantize(q.values()[i], s, 0), s / 2 + 1e-6, "element " + i);
        }
    }

    @Test
    void aRowsExtremesLandOnPlusMinus127AndValuesBeyondSaturate() {
        // 1.3 / 127 is inexact in float32; whichever way it rounds, the extremes map to +-127, never wrap.
        float[] row = {1.3f, -1.3f};
        QuantMath.Quantized q = QuantMath.quantizeRows(row, 1, 2, INT8);
        assertArrayEquals(new int[] {127, -127}, q.values());
        assertEquals(127, QuantMath.quantize(1.3f * 1.01f, q.scales()[0], 0, INT8), "beyond the row's range saturates");
        assertEquals(-128, QuantMath.quantize(-1.3f * 1.02f, q.scales()[0], 0, INT8));
    }

    @Test
    void blocksRunAlongKPerColumn() {
        // K = 4, N = 1, blocks of 2: [7, -3.5] has scale 1, [1.75, 3.5] scale 0.5.
        QuantMath.Quantized q = QuantMath.quantizeBlocks(new float[] {7f, -3.5f, 1.75f, 3.5f}, 4, 1, 2, INT4, true);
        assertArrayEquals(new float[] {1f, 0.5f}, q.scales());
        assertArrayEquals(new int[] {7, -4, 4, 7}, q.values());
        // Two columns: parameter b * N + j.
        QuantMath.Quantized two = QuantMath.quantizeBlocks(new float[] {7f, 14f, 0f, 0f, 3.5f, 7f}, 3, 2, 2, INT4, true);
        assertArrayEquals(new float[] {1f, 2f, 0.5f, 1f}, two.scales());
        assertArrayEquals(new int[] {7, 7, 0, 0, 7, 7}, two.values());
    }

    @Test
    void int4PackingPutsTheFirstElementInTheLowNibble() {
        assertArrayEquals(new byte[] {0x21, 0x03}, QuantMath.pack4(new int[] {1, 2, 3}));
        assertArrayEquals(new byte[] {(byte) 0x7F, 0x08}, QuantMath.pack4(new int[] {-1, 7, -8}));
        assertArrayEquals(new int[] {-1, 7, -8}, QuantMath.unpack4(new byte[] {(byte) 0x7F, 0x08}, 3, true));
        assertArrayEquals(new int[] {15, 7, 8}, QuantMath.unpack4(new byte[] {(byte) 0x7F, 0x08}, 3, false));
    }

    @Test
    void matMulNBitsBlobsAreUnsignedCodesPackedPerBlock() {
        Rewriter rw = new Rewriter(Model.of(new GraphBuilder("g").build(), 17));
        QuantMath.Quantized q = QuantMath.quantizeBlocks(new float[] {7f, -3.5f, 1.75f, 3.5f}, 4, 1, 2, UINT4, true);
        // Symmetric uint4: zero point 8, so the codes are [15, 4] and [12, 15].
        assertArrayEquals(new int[] {15, 4, 12, 15}, q.values());
        Value[] v = WeightOnly.nbitsInitializers(rw, "w", q, 4, 1, 4, 2, true);
        assertArrayEquals(new long[] {1, 2, 1}, v[0].initializer().dims());
        assertArrayEquals(new byte[] {0x4F, (byte) 0xFC}, bytes(v[0].initializer().bytes()));
        assertArrayEquals(new long[] {1, 2}, v[1].initializer().dims());
        assertArrayEquals(new float[] {1f, 0.5f}, v[1].initializer().toFloats());
        assertEquals(null, v[2], "symmetric blocks use the default zero point");

        // K = 3 with blocks of 2: the second block is padded with its zero point; asymmetric zero points packed.
        QuantMath.Quantized a = QuantMath.quantizeBlocks(new float[] {0f, 15f, -1f}, 3, 1, 2, UINT4, false);
        Value[] w = WeightOnly.nbitsInitializers(rw, "w", a, 3, 1, 4, 2, false);
        int z1 = a.params()[1].zeroPoint();
        assertEquals(15, z1);
        assertEquals(0, a.params()[0].zeroPoint());
        assertArrayEquals(new byte[] {(byte) (a.values()[0] | a.values()[1] << 4), (byte) (a.values()[2] | z1 << 4)},
                bytes(w[0].initializer().bytes()));
        assertArrayEquals(new long[] {1, 1}, w[2].initializer().dims());
        assertArrayEquals(new byte[] {(byte) (z1 << 4)}, bytes(w[2].initializer().bytes()));
    }

    @Test
    void float16RoundsToNearestEven() {
        assertEquals((short) 0x3C00, QuantMath.toHalf(1f, false));
        assertEquals((short) 0x2E66, QuantMath.toHalf(0.1f, false));
        assertEquals((short) 0x7BFF, QuantMath.toHalf(65504f, false));
        assertEquals((short) 0x7C00, QuantMath.toHalf(65520f, false), "a tie above the largest half rounds to infinity");
        assertEquals((short) 0x7BFF, QuantMath.toHalf(65520f, true), "clamped instead");
        assertEquals((short) 0xFBFF, QuantMath.toHalf(-3.4028235e38f, true));
        assertEquals((short) 0x3C00, QuantMath.toHalf(1f + 0x1p-11f, false), "tie to the even 1.0");
        assertEquals((short) 0x3C02, QuantMath.toHalf(1f + 3 * 0x1p-11f, false), "tie to the even 1 + 2^-9");
        assertEquals((short) 0x0001, QuantMath.toHalf(0x1p-24f, false), "smallest subnormal");
        assertEquals((short) 0x0000, QuantMath.toHalf(0x1p-25f, false), "tie to even zero");
        assertEquals((short) 0x0002, QuantMath.toHalf(3 * 0x1p-25f, false), "tie to even 2 units");
        assertEquals((short) 0x8000, QuantMath.toHalf(-0f, false));
        assertEquals((short) 0x7C00, QuantMath.toHalf(Float.POSITIVE_INFINITY, true), "infinities stay");
        assertTrue(Float.isNaN(QuantMath.fromHalf(QuantMath.toHalf(Float.NaN, true))));
        for (float f : new float[] {1f, -2.5f, 0.1f, 65504f, 0x1p-24f, 6.1035156e-5f})
            assertEquals(QuantMath.fromHalf(QuantMath.toHalf(f, false)), QuantMath.fromHalf(QuantMath.toHalf(
                    QuantMath.fromHalf(QuantMath.toHalf(f, false)), false)), "round trip of " + f);
        assertEquals(0.099975586f, QuantMath.fromHalf((short) 0x2E66));
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
