package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Blockwise weight-only quantization (4 or 8 bits): each column of the weight {@code [K, N]} is cut into blocks
 * of {@code blockSize} rows along K, each block with its own scale (and zero point when asymmetric); activations
 * stay float. Written as
 * <ul>
 *   <li>{@link Format#MATMUL_NBITS}: {@code com.microsoft.MatMulNBits}: B is uint8 {@code [N, k_blocks, blob]}
 *       with {@code blob = blockSize * bits / 8}, the codes of one block packed along K, low nibble first; codes
 *       are unsigned (a symmetric block's zero point is the default {@code 2^(bits-1)}, so none is stored);
 *       scales {@code [N, k_blocks]}; asymmetric zero points uint8 {@code [N, ceil(k_blocks * bits / 8)]}, packed
 *       the same way; the bias rides along;</li>
 *   <li>{@link Format#DEQUANTIZE_LINEAR}: the standard blocked {@code DequantizeLinear} of opset 21 ({@code axis=0},
 *       {@code block_size}) over an int4/uint4 (or int8/uint8) weight, scale {@code [ceil(K / blockSize), N]},
 *       then a float {@code MatMul}.</li>
 * </ul>
 */
final class WeightOnly implements Scheme {
    enum Format { MATMUL_NBITS, DEQUANTIZE_LINEAR }

    private final int bits;
    private final int blockSize;
    private final boolean symmetric;
    private final Format format;
    private final int accuracyLevel;

    WeightOnly(int bits, int blockSize, boolean symmetric, Format format, int accuracyLevel) {
        this.bits = bits;
        this.blockSize = blockSize;
        this.symmetric = symmetric;
        this.format = format;
        this.accuracyLevel = accuracyLevel;
    }

    @Override
    public Value emit(Site s, Rewriter rw) {
        return format == Format.MATMUL_NBITS ? matMulNBits(s, rw) : dequantizeLinear(s, rw);
    }

    private Value matMulNBits(Site s, Rewriter rw) {
        int kBlocks = (s.k + blockSize - 1) / blockSize;
        Value[] w = rw.cached(s.weight, "nbits:" + bits + ":" + blockSize + ":" + symmetric + s.transposed, () -> {
            QuantMath.IntRange range = QuantMath.IntRange.of(bits, false, false);
            QuantMath.Quantized q = QuantMath.quantizeBlocks(s.weightKxN(), s.k, s.n, blockSize, range, symmetric);
            return nbitsInitializers(rw, s.weight.name(), q, s.k, s.n, bits, blockSize, symmetric);
        });
        List<Value> in = new ArrayList<>(Arrays.asList(s.input, w[0], w[1], w[2], null, s.bias));
        DynamicInt8.trimOptional(in);
        List<Attribute> attrs = new ArrayList<>(List.of(Attribute.of("K", (long) s.k), Attribute.of("N", (long) s.n),
                Attribute.of("bits", (long) bits), Attribute.of("block_size", (long) blockSize)));
        if (accuracyLevel > 0) attrs.add(Attribute.of("accuracy_level", (long) accuracyLevel));
        if (kBlocks <= 0) throw new IllegalStateException("empty weight at " + s);
        return rw.node(s.node, Rewriter.MS, "MatMulNBits", s.name() + "_nbits", in, 1,
                attrs.toArray(new Attribute[0])).output(0);
    }

    /**
     * MatMulNBits' B, scales and zero points (null when symmetric) from codes laid out as
     * {@link QuantMath#quantizeBlocks} makes them ({@code [K, N]} codes, parameter {@code b * N + j}).
     */
    static Value[] nbitsInitializers(Rewriter rw, String base, QuantMath.Quantized q, int k, int n, int bits,
                                     int blockSize, boolean symmetric) {
        int kBlocks = (k + blockSize - 1) / blockSize;
        int blob = blockSize * bits / 8;
        byte[] b = new byte[n * kBlocks * blob];
        float[] scales = new float[n * kBlocks];
        int[] zeros = new int[n * kBlocks];
        int[] block = new int[blockSize];
        for (int j = 0; j < n; j++) {
            for (int bl = 0; bl < kBlocks; bl++) {
                QuantMath.Params p = q.params()[bl * n + j];
                scales[j * kBlocks + bl] = p.scale();
                zeros[j * kBlocks + bl] = p.zeroPoint();
                for (int t = 0; t < blockSize; t++) {
                    int row = bl * blockSize + t;
                    block[t] = row < k ? q.values()[row * n + j] : p.zeroPoint(); // padding dequantizes to 0
                }
                int at = (j * kBlocks + bl) * blob;
                if (bits == 4) System.arraycopy(QuantMath.pack4(block), 0, b, at, blob);
                else for (int t = 0; t < blockSize; t++) b[at + t] = (byte) block[t];
            }
        }
        Value bv = rw.initializer(base + "_nbits", DataType.UINT8, new long[] {n, kBlocks, blob}, b);
        Value sv = rw.floats(base + "_nbits_scales", new long[] {n, kBlocks}, scales);
        Value zv = null;
        if (!symmetric) {
            if (bits == 4) {
                int perRow = (kBlocks + 1) / 2;
                byte[] packed = new byte[n * perRow];
                for (int j = 0; j < n; j++) {
                    byte[] row = QuantMath.pack4(Arrays.copyOfRange(zeros, j * kBlocks, (j + 1) * kBlocks));
                    System.arraycopy(row, 0, packed, j * perRow, perRow);
                }
                zv = rw.initializer(base + "_nbits_zero_points", DataType.UINT8, new long[] {n, perRow}, packed);
            } else {
                zv = rw.zeroPoints(base + "_nbits_zero_points", DataType.UINT8, new long[] {n, kBlocks}, zeros);
            }
        }
        return new Value[] {bv, sv, zv};
    }

    private Value dequantizeLinear(Site s, Rewriter rw) {
        Value w = rw.cached(s.weight, "bdq:" + bits + ":" + blockSize + ":" + symmetric + s.transposed, () -> {
            boolean signed = symmetric;
            QuantMath.IntRange range = QuantMath.IntRange.of(bits, signed, false);
            QuantMath.Quantized q = QuantMath.quantizeBlocks(s.weightKxN(), s.k, s.n, blockSize, range, symmetric);
            DataType t = bits == 4 ? (signed ? DataType.INT4 : DataType.UINT4) : (signed ? DataType.INT8 : DataType.UINT8);
            byte[] data = bits == 4 ? QuantMath.pack4(q.values()) : q.bytes();
            String base = s.weight.name();
            long[] pdims = {(s.k + blockSize - 1) / blockSize, s.n};
            Value values = rw.initializer(base + "_quantized", t, new long[] {s.k, s.n}, data);
            Value scale = rw.floats(base + "_scale", pdims, q.scales());
            List<Value> in = new ArrayList<>(List.of(values, scale));
            in.add(rw.zeroPoints(base + "_zero_point", t, pdims, q.zeroPoints()));
            return rw.node(s.node, null, "DequantizeLinear", base + "_DequantizeLinear", in, 1,
                    Attribute.of("axis", 0L), Attribute.of("block_size", (long) blockSize)).output(0);
        });
        Value y = rw.node(s.node, null, "MatMul", s.name() + "_wq", List.of(s.input, w), 1).output(0);
        return s.bias == null ? y : rw.node(s.node, null, "Add", s.name() + "_wq_bias", List.of(y, s.bias), 1).output(0);
    }

    @Override
    public String describe() {
        return "int" + bits + " weight-only, blocks of " + blockSize + " along K, "
                + (symmetric ? "symmetric" : "asymmetric") + "; "
                + (format == Format.MATMUL_NBITS ? "MatMulNBits" + (accuracyLevel > 0 ? " (accuracy_level " + accuracyLevel + ")" : "")
                : "DequantizeLinear (blocked, opset 21) + MatMul");
    }
}
