package dev.tailor.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.runtime.Comparison;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.ModelZoo;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Synthetic data from model input types: sizes that agree, ids inside their tables, and runs on ONNX Runtime. */
class SyntheticDataTest {
    @Test
    void withoutAPathEveryExportedModelGetsSyntheticDataOnnxRuntimeAccepts() {
        OrtEvaluator ort = new OrtEvaluator();
        for (String name : ExportedModels.NAMES) {
            Model model = OnnxReader.read(ExportedModels.file(name));
            Dataset d = DataSources.open(null, model, DataOptions.DEFAULTS.withSequenceLength(8));
            assertEquals(4, d.size(), name);
            assertTrue(d.description().startsWith("synthetic: 4 batches of 2, sequence 8, past 4, seed 0"), d.description());
            try (Evaluator.Prepared p = ort.prepare(model, List.of())) {
                for (Tensor out : p.run(d.batches().get(0)).values())
                    if (out.dataType() == DataType.FLOAT)
                        for (float f : out.toFloats()) assertTrue(Float.isFinite(f), name + " " + out);
            }
        }
    }

    @Test
    void idsStayInsideTheirEmbeddingTablesAndMasksAreOnes() {
        Model minilm = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Map<String, Tensor> b = SyntheticData.batch(minilm, 4, 64, 7);
        long[] ids = b.get("input_ids").toLongs();
        assertTrue(Arrays.stream(ids).allMatch(i -> i >= 0 && i < 30522));
        assertTrue(Arrays.stream(ids).anyMatch(i -> i >= 100), "ids span the vocabulary, not only its first 100 rows");
        long[] types = b.get("token_type_ids").toLongs();
        assertTrue(Arrays.stream(types).allMatch(i -> i == 0 || i == 1), "token types index a table of 2 rows");
        assertTrue(Arrays.stream(types).anyMatch(i -> i == 1));
        assertTrue(Arrays.stream(b.get("attention_mask").toLongs()).allMatch(i -> i == 1));
        assertArrayEquals(new long[] {4, 64}, b.get("input_ids").dims());
    }

    @Test
    void kvCacheSizesAgree() {
        Model kv = OnnxReader.read(ExportedModels.file("llama_tiny_kv"));
        Map<String, Tensor> b = DataSources.open(null, kv, DataOptions.DEFAULTS.withBatchSize(3).withSequenceLength(5)
                .withPastLength(6)).batches().get(0);
        assertArrayEquals(new long[] {3, 5}, b.get("input_ids").dims());
        assertArrayEquals(new long[] {3, 11}, b.get("attention_mask").dims(), "total = sequence + past");
        assertArrayEquals(new long[] {3, 2, 6, 16}, b.get("past_key_values.1.value").dims());
        assertEquals(11, SyntheticData.size("past_sequence_length + sequence_length", 1, 3, 5, 6));
        assertEquals(7, SyntheticData.size("past_sequence_length + 1", 1, 3, 5, 6));
        assertEquals(3, SyntheticData.size(null, 0, 3, 5, 6));
        assertEquals(5, SyntheticData.size(null, 1, 3, 5, 6));
    }

    @Test
    void theSeedDecides() {
        Model bert = OnnxReader.read(ExportedModels.file("bert_tiny"));
        DataOptions o = DataOptions.DEFAULTS.withSeed(42);
        Dataset a = DataSources.open(null, bert, o), b = DataSources.open(null, bert, o);
        Dataset c = DataSources.open(null, bert, o.withSeed(43));
        for (int i = 0; i < a.size(); i++)
            assertEquals(a.batches().get(i).get("input_ids").bytes(), b.batches().get(i).get("input_ids").bytes());
        assertNotEquals(a.batches().get(0).get("input_ids").bytes(), c.batches().get(0).get("input_ids").bytes());
        assertNotEquals(a.batches().get(0).get("input_ids").bytes(), a.batches().get(1).get("input_ids").bytes(),
                "batches differ from each other");
    }

    @Test
    void everyNumericElementType() {
        GraphBuilder g = new GraphBuilder("types");
        Value half = g.input("half", Type.tensor(DataType.FLOAT16, "batch", 3));
        Value small = g.input("small_ids", Type.tensor(DataType.UINT8, "batch", "sequence"));
        Value flags = g.input("flags", Type.tensor(DataType.BOOL, 2));
        Value mask = g.input("mask", Type.tensor(DataType.DOUBLE, "batch", "sequence"));
        Value positions = g.input("position_ids", Type.tensor(DataType.INT32, "batch", "sequence"));
        g.output(half, small, flags, mask, positions);
        Graph graph = g.build();
        Map<String, Tensor> b = SyntheticData.batch(Model.of(graph, 17), 2, 4, 1);
        assertEquals(DataType.FLOAT16, b.get("half").dataType());
        double[] h = Comparison.toDoubles(b.get("half"));
        assertTrue(Arrays.stream(h).allMatch(x -> Double.isFinite(x) && Math.abs(x) < 10) && Arrays.stream(h).anyMatch(x -> x != 0));
        assertTrue(Arrays.stream(Comparison.toDoubles(b.get("small_ids"))).allMatch(x -> x >= 0 && x < 100));
        assertArrayEquals(new double[] {1, 1}, Comparison.toDoubles(b.get("flags")));
        assertTrue(Arrays.stream(Comparison.toDoubles(b.get("mask"))).allMatch(x -> x == 1));
        assertArrayEquals(new double[] {0, 1, 2, 3, 0, 1, 2, 3}, Comparison.toDoubles(b.get("position_ids")));
    }

    @Test
    void halfPrecisionRounding() {
        assertEquals((short) 0x3C00, Tensors.toHalf(1f));
        assertEquals((short) 0xC000, Tensors.toHalf(-2f));
        assertEquals((short) 0x7BFF, Tensors.toHalf(65504f));
        assertEquals((short) 0x7C00, Tensors.toHalf(65520f), "rounds up to infinity");
        assertEquals((short) 0x0001, Tensors.toHalf((float) Math.pow(2, -24)), "the smallest subnormal");
        assertEquals((short) 0x0000, Tensors.toHalf((float) Math.pow(2, -26)));
        assertEquals((short) 0x3C00, Tensors.toHalf(1f + (float) Math.pow(2, -11)), "a tie rounds to even");
        assertEquals((short) 0x3C02, Tensors.toHalf(1f + 3 * (float) Math.pow(2, -11)), "a tie rounds to even");
        for (float f : new float[] {0.1f, -3.75f, 1e-4f, 1234.5f})
            assertEquals(f, Comparison.halfToFloat(Tensors.toHalf(f)), Math.abs(f) * 1e-3, "round trip of " + f);
        assertEquals((short) 0x3F80, Tensors.toBfloat16(1f));
        assertEquals(1.0f, Comparison.bfloat16ToFloat(Tensors.toBfloat16(1.00390625f)), "a tie rounds to even");
    }
}
