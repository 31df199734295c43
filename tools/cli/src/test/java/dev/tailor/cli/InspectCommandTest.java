package dev.tailor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir
    Path dir;

    @Test
    void miniLmBlockMap() {
        var r = ConvertCommandTest.tailor("inspect", "@minilm");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("opsets     ai.onnx 11\n"), out);
        assertTrue(out.contains("inputs     input_ids: int64[batch_size, sequence_length]\n"), out);
        assertTrue(out.contains("outputs    last_hidden_state: float[batch_size, sequence_length, 384]\n"), out);
        assertTrue(out.contains("params     22,565,888 in 102 tensors (float 22,565,376, int64 512), 86.1 MiB\n"), out);
        assertTrue(out.contains("external   none\n"), out);
        assertTrue(out.contains("encoder: 6 blocks, hidden 384, post-norm\n"), out);
        assertTrue(out.contains("  embeddings  token 30522x384 (input_ids), segment 2x384 (token_type_ids), "
                + "position 512x384, norm LayerNorm (unfused)\n"), out);
        for (int i = 0; i < 6; i++)
            assertTrue(out.contains("  b" + i
                    + "   attn(12x32) ffn(1536, gelu_erf)  post LayerNorm (unfused)    1,774,464 params\n"), out);
        assertTrue(out.endsWith("unplaced: none\n"), out);
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonHasTheBlocksInOrderWithTheirSublayers() {
        var r = ConvertCommandTest.tailor("inspect", ExportedModels.file("t5_tiny").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> doc = (Map<String, Object>) Json.parse(r.out()); // stdout holds only the JSON
        Map<String, Object> anatomy = (Map<String, Object>) doc.get("anatomy");
        List<Map<String, Object>> blocks = (List<Map<String, Object>>) anatomy.get("blocks");
        assertEquals(List.of("b0", "b1", "b2", "b3"), blocks.stream().map(b -> b.get("id")).toList());
        List<Map<String, Object>> b2 = (List<Map<String, Object>>) blocks.get(2).get("sublayers");
        assertEquals(List.of("b2.attn", "b2.xattn", "b2.ffn"), b2.stream().map(s -> s.get("id")).toList());
        assertEquals(List.of("attn", "xattn", "ffn"), b2.stream().map(s -> s.get("kind")).toList());
        assertEquals("decoder", blocks.get(2).get("stream"));
        Map<String, Object> x = b2.get(1);
        assertEquals(4.0, x.get("heads"));
        assertEquals(16.0, x.get("head_size"));
        assertEquals(List.of("b2.xattn.q", "b2.xattn.k", "b2.xattn.v", "b2.xattn.o"),
                ((List<Map<String, Object>>) x.get("weights")).stream().map(w -> w.get("id")).toList());
        Map<String, Object> norm = (Map<String, Object>) x.get("norm");
        assertEquals("rmsnorm", norm.get("kind"));
        assertEquals("pre", norm.get("placement"));
        Map<String, Object> ffn = b2.get(2);
        assertEquals(256.0, ffn.get("hidden"));
        assertEquals("relu", ffn.get("activation"));
        assertEquals(Boolean.FALSE, ffn.get("gated"));
        List<Map<String, Object>> streams = (List<Map<String, Object>>) anatomy.get("streams");
        assertEquals(List.of("encoder", "decoder"), streams.stream().map(s -> s.get("name")).toList());
        assertEquals(Boolean.TRUE, ((List<Map<String, Object>>) streams.get(1).get("heads")).get(0).get("tied"));
        assertEquals(List.of(), anatomy.get("unplaced"));
        Map<String, Object> params = (Map<String, Object>) doc.get("parameters");
        assertEquals(Map.of("float", 295936.0), params.get("by_dtype"));
        assertEquals(List.of("input_ids", "decoder_input_ids"),
                ((List<Map<String, Object>>) doc.get("inputs")).stream().map(i -> i.get("name")).toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void fusedQkvColumnsInJson() {
        var r = ConvertCommandTest.tailor("inspect", ExportedModels.file("gpt2_tiny").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> anatomy = (Map<String, Object>) ((Map<String, Object>) Json.parse(r.out())).get("anatomy");
        Map<String, Object> attn = ((List<Map<String, Object>>) ((List<Map<String,
                Object>>) anatomy.get("blocks")).get(0)
                .get("sublayers")).get(0);
        Map<String, Object> k = ((List<Map<String, Object>>) attn.get("weights")).get(1);
        assertEquals("b0.attn.k", k.get("id"));
        assertEquals("transformer.h.0.attn.c_attn.weight", k.get("tensor"));
        assertEquals(List.of(64.0, 64.0), k.get("shape"));
        assertEquals(List.of(64.0, 192.0), k.get("stored_shape"));
        assertEquals("64..128", k.get("columns"));
        assertEquals("64..128", ((Map<String, Object>) k.get("bias")).get("columns"));
        assertEquals(Boolean.TRUE, attn.get("causal"));
    }

    @Test
    void aCnnIsReportedWithReasons() {
        var r = ConvertCommandTest.tailor("inspect", ExportedModels.file("cnn_small").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("anatomy: no transformer blocks\nunplaced:\n"
                + "  no residual connection: the graph has no Add or Skip*LayerNormalization of two activations\n"
                + "  Conv '/features/features.0/Conv': convolution with weight onnx::Conv_36[16, 3, 3, 3] "
                + "is in no block and is not a patch embedding\n"), r.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void externalDataIsCounted() {
        Path ext = dir.resolve("bert.onnx");
        var c = ConvertCommandTest.tailor("convert", ExportedModels.file("bert_tiny").toString(), ext.toString(),
                "--external-data-threshold", "1K");
        assertEquals(0, c.code(), c.err());
        var r = ConvertCommandTest.tailor("inspect", ext.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("external   17 tensors, 669.0 KiB in bert.onnx.data\n"), r.out());
        assertTrue(r.out().contains("encoder: 2 blocks, hidden 64, post-norm\n"), r.out());
        var j = ConvertCommandTest.tailor("inspect", ext.toString(), "--json");
        Map<String, Object> x = (Map<String, Object>) ((Map<String, Object>) Json.parse(j.out())).get("external_data");
        assertEquals(17.0, x.get("tensors"));
        assertEquals(List.of("bert.onnx.data"), x.get("files"));
    }

    @Test
    void aMissingFileIsBadInput() {
        var r = ConvertCommandTest.tailor("inspect", dir.resolve("nothing.onnx").toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().startsWith("tailor: error: "), r.err());
    }

    /**
     * The cleanup pipeline (with constant folding on ONNX Runtime) rewrites hundreds of nodes; the anatomy read from
     * the result is the same: same blocks, sublayers, heads, norms, and weights by role with the same shapes.
     */
    @Test
    void anatomyIsTheSameAfterCleanup() {
        for (String name : List.of("gpt2_tiny", "llama_tiny_kv", "t5_tiny", "torch_encoder_postln", "vit_tiny")) {
            Path in = ExportedModels.file(name);
            Path out = dir.resolve(name + "-clean.onnx");
            var r = ConvertCommandTest.tailor("compile", in.toString(), "-p",
                    "fixpoint { identity | shapes | fold | cse | dce }",
                    "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            Anatomy before = Anatomy.of(OnnxReader.read(in));
            Anatomy after = Anatomy.of(OnnxReader.read(out));
            assertEquals(List.of(), after.unplaced(), name);
            assertEquals(signature(before), signature(after), name);
            assertTrue(OnnxReader.read(out).graph().nodeCount() < OnnxReader.read(in).graph().nodeCount(), name);
        }
    }

    private static List<String> signature(Anatomy a) {
        List<String> s = new ArrayList<>();
        s.add(a.toString());
        for (Sublayer x : a.sublayers()) {
            var at = x.attention();
            s.add(x.id() + " " + x.norm() + " " + x.ffn() + (at == null ? "" : " " + List.of(String.valueOf(at.heads()),
                    String.valueOf(at.kvHeads()), String.valueOf(at.headSize()), at.qkv(), String.valueOf(at.causal()),
                    at.mask(), at.rotary(), String.valueOf(at.kvCache()), at.kvSource() != null,
                            at.positionBias() != null)));
            for (Weight w : x.weights().values())
                s.add(w.id() + " " + Arrays.toString(w.matrix().shape()) + " " + w.matrix().columns() + " "
                        + (w.bias() == null ? "-" : Arrays.toString(w.bias().shape()) + " " + w.bias().columns()));
        }
        return s;
    }
}
