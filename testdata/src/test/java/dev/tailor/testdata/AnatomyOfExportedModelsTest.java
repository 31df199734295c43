package dev.tailor.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Attention;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Embedding;
import dev.tailor.compiler.anatomy.Head;
import dev.tailor.compiler.anatomy.Norm;
import dev.tailor.compiler.anatomy.Param;
import dev.tailor.compiler.anatomy.Role;
import dev.tailor.compiler.anatomy.Stream;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerKind;
import dev.tailor.compiler.anatomy.Unplaced;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Anatomy on real exports: all-MiniLM-L6-v2 from Maven Central, and every model {@code export_models.py} made with
 * PyTorch, each checked against the facts {@code manifest.json} records from the model's definition: block count,
 * sublayer kinds, heads and kv heads, head size, FFN size and activation, norm kind and placement, embedding and
 * final norms, fused or separate QKV, biases, rotary positions, causal masks, KV-cache inputs and outputs, tied
 * heads, and that the placed parameters add up to the PyTorch module's parameter count.
 */
class AnatomyOfExportedModelsTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> manifest(String model) {
        Map<String, Object> all = (Map<String, Object>) Json.parse(ExportedModels.manifest());
        return (Map<String, Object>) ((Map<String, Object>) all.get("models")).get(model + ".onnx");
    }

    private static int num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sub(Map<String, Object> m, String key) {
        return (Map<String, Object>) m.get(key);
    }

    @Test
    void everyExportedTransformerMatchesItsManifest() {
        for (String name : ExportedModels.NAMES) {
            if (name.equals("cnn_small")) continue;
            Model model = OnnxReader.read(ExportedModels.file(name));
            Anatomy a = Anatomy.of(model);
            check(name, manifest(name), a);
            System.out.printf("%-22s %s", name + ":", a.toString().replace("\n", "\n" + " ".repeat(23)).stripTrailing()
                    + "\n");
        }
    }

    @SuppressWarnings("unchecked")
    private static void check(String name, Map<String, Object> m, Anatomy a) {
        String where = name + ": ";
        assertEquals(List.of(), a.unplaced(), where + "everything placed");
        String arch = (String) m.get("architecture");
        List<String> streams = a.streams().stream().map(Stream::name).toList();
        int layers = num(m, "layers");
        int hidden = num(m, "hidden_size");
        switch (arch) {
            case "encoder" -> assertEquals(List.of("encoder"), streams, where);
            case "decoder" -> assertEquals(List.of("decoder"), streams, where);
            case "encoder-decoder" -> {
                assertEquals(List.of("encoder", "decoder"), streams, where);
                assertEquals(num(m, "encoder_layers"), a.streams().get(0).blocks().size(), where);
                assertEquals(num(m, "decoder_layers"), a.streams().get(1).blocks().size(), where);
            }
            default -> throw new AssertionError(where + arch);
        }
        int expectedBlocks = arch.equals("encoder-decoder") ? num(m, "encoder_layers") + num(m, "decoder_layers")
                : layers;
        assertEquals(expectedBlocks, a.blocks().size(), where + "blocks");
        for (int i = 0; i < a.blocks().size(); i++) assertEquals("b" + i, a.blocks().get(i).id());

        Map<String, Object> norm = sub(m, "norm");
        Norm.Kind kind = ((String) norm.get("kind")).startsWith("rmsnorm") ? Norm.Kind.RMS_NORM : Norm.Kind.LAYER_NORM;
        String placement = (String) norm.get("placement");
        Map<String, Object> att = sub(m, "attention");
        boolean crossAttention = Boolean.TRUE.equals(att.get("cross_attention"));
        String ffnKind = (String) m.get("ffn_kind");
        boolean gated = ffnKind.startsWith("swiglu");
        double eps = ((Number) norm.get("eps")).doubleValue();

        for (Stream s : a.streams()) {
            boolean decoder = s.name().equals("decoder");
            assertEquals(hidden, s.hiddenSize(), where + "hidden");
            assertEquals(placement, s.normPlacement(), where + s.name() + " norm placement");
            assertEquals(Boolean.TRUE.equals(norm.get("embedding_norm")), s.embeddingNorm() != null, where
                    + "embedding norm");
            assertEquals(Boolean.TRUE.equals(norm.get("final_norm")), s.finalNorm() != null, where + "final norm");
            if (s.finalNorm() != null) assertEquals(kind, s.finalNorm().kind(), where);
            for (Block b : s.blocks()) {
                List<SublayerKind> kinds = b.sublayers().stream().map(Sublayer::kind).toList();
                assertEquals(decoder && crossAttention ? List.of(SublayerKind.ATTN, SublayerKind.XATTN,
                        SublayerKind.FFN)
                        : List.of(SublayerKind.ATTN, SublayerKind.FFN), kinds, where + b.id());
                for (Sublayer x : b.sublayers()) {
                    String at = where + x.id() + ": ";
                    assertEquals(b.id() + "." + x.kind().id(), x.id());
                    assertNotNull(x.norm(), at + "norm");
                    assertEquals(kind, x.norm().kind(), at + "norm kind");
                    assertEquals(placement, x.norm().placement().id(), at + "norm placement");
                    assertEquals(eps, x.norm().epsilon(), eps * 1e-6, at + "epsilon");
                    assertEquals(hidden, x.hiddenSize(), at);
                    assertTrue(x.nodes().contains(x.residual()), at);
                    if (x.kind().isAttention()) checkAttention(at, m, att, x, decoder);
                    else checkFfn(at, m, x, gated, ffnKind);
                }
            }
        }
        checkEmbeddingsAndHeads(where, m, a);
        checkKvCache(where, m, a);
        // everything placed adds up to the PyTorch module's parameters (a tied head counts once)
        assertEquals(((Number) m.get("torch_parameters")).longValue(), placedParameters(a), where
                + "placed parameters");
    }

    private static void checkAttention(String at, Map<String, Object> m, Map<String, Object> att, Sublayer x,
            boolean decoder) {
        Attention a = x.attention();
        int heads = num(m, "num_heads");
        int kv = num(m, "num_kv_heads");
        int hd = num(m, "head_dim");
        int hidden = num(m, "hidden_size");
        assertEquals(heads, a.heads(), at + "heads");
        assertEquals(x.kind() == SublayerKind.XATTN ? heads : kv, a.kvHeads(), at + "kv heads");
        assertEquals(hd, a.headSize(), at + "head size");
        assertEquals(kv != heads && x.kind() == SublayerKind.ATTN, a.groupedQuery(), at);
        String qkv = (String) att.get("qkv");
        assertEquals(qkv.startsWith("separate") ? "separate" : "fused", a.qkv(), at + "qkv " + qkv);
        assertNull(a.op(), at + "written out, not fused");
        for (Role r : List.of(Role.Q, Role.K, Role.V, Role.O)) {
            Weight w = x.weight(r);
            assertNotNull(w, at + r);
            assertEquals(x.id() + "." + r.id(), w.id());
            long out = r == Role.O ? hidden : r == Role.Q ? (long) heads * hd : (long) a.kvHeads() * hd;
            assertEquals(r == Role.O ? (long) heads * hd : hidden, w.in(), at + r + " in");
            assertEquals(out, w.out(), at + r + " out");
            boolean bias = r == Role.O ? Boolean.TRUE.equals(att.get("out_bias"))
                    : Boolean.TRUE.equals(att.get("qkv_bias"));
            assertEquals(bias, w.bias() != null, at + r + " bias");
            assertEquals(!qkv.startsWith("separate") && r != Role.O, w.fused(), at + r + " fused");
        }
        Object causal = att.get("causal");
        boolean expectCausal = Boolean.TRUE.equals(causal)
                || ("decoder self-attention only".equals(causal) && decoder && x.kind() == SublayerKind.ATTN);
        assertEquals(expectCausal, a.causal(), at + "causal");
        assertEquals(expectCausal, a.mask().contains("causal"), at + a.mask());
        String positions = (String) m.get("positions");
        assertEquals(positions != null && positions.startsWith("rotary"), a.rotary(), at + "rotary");
        if (positions != null && positions.startsWith("relative") && x.kind() == SublayerKind.ATTN)
            assertTrue(a.mask().contains("position_bias"), at + a.mask());
        if (x.kind() == SublayerKind.XATTN) assertNotNull(a.kvSource(), at);
        else assertNull(a.kvSource(), at);
    }

    private static void checkFfn(String at, Map<String, Object> m, Sublayer x, boolean gated, String ffnKind) {
        assertEquals(num(m, "ffn_size"), x.ffn().hidden(), at + "ffn size");
        assertEquals(m.get("activation"), x.ffn().activation(), at + "activation");
        assertEquals(gated, x.ffn().gated(), at + "gated");
        assertEquals(gated ? List.of(Role.UP, Role.GATE, Role.DOWN) : List.of(Role.UP, Role.DOWN),
                new ArrayList<>(x.weights().keySet()), at + "roles");
        assertArrayEquals(new long[] {num(m, "hidden_size"), num(m, "ffn_size")},
                new long[] {x.weight(Role.UP).in(), x.weight(Role.UP).out()}, at);
        assertEquals(num(m, "hidden_size"), x.weight(Role.DOWN).out(), at);
        boolean noBias = ffnKind.contains("no bias") || gated;
        assertEquals(!noBias, x.weight(Role.UP).bias() != null, at + "up bias");
        assertEquals(!noBias, x.weight(Role.DOWN).bias() != null, at + "down bias");
    }

    private static void checkEmbeddingsAndHeads(String where, Map<String, Object> m, Anatomy a) {
        Object vocab = m.get("vocab_size");
        for (Stream s : a.streams()) {
            List<String> kinds = s.embeddings().stream().map(Embedding::kind).toList();
            if (vocab != null) {
                Embedding token = s.embeddings().stream().filter(e -> e.kind().equals("token")).findFirst()
                        .orElseThrow();
                assertEquals(((Number) vocab).longValue(), token.table().storedShape()[0], where + "vocabulary");
                assertEquals(num(m, "hidden_size"), token.table().storedShape()[1], where);
            }
            String positions = (String) m.get("positions");
            boolean learned = positions != null && positions.startsWith("learned absolute");
            assertEquals(learned, kinds.contains("position"), where + "positions " + kinds);
            if (m.get("patch_embedding") != null) assertTrue(kinds.containsAll(List.of("patch", "cls", "position")),
                    where + kinds);
            if (positions != null && positions.contains("token_type")) assertTrue(kinds.contains("segment"), where
                    + kinds);
        }
        Stream last = a.streams().get(a.streams().size() - 1);
        Object tied = m.get("tied_lm_head");
        List<Head> lm = last.heads().stream().filter(h -> h.kind().equals("lm_head")).toList();
        if (tied == null) {
            assertEquals(List.of(), lm, where + "no language-model head");
        } else {
            assertEquals(1, lm.size(), where + last.heads());
            assertEquals(tied, lm.get(0).tied(), where + "tied head");
        }
        if (m.get("num_labels") != null) {
            Head c = last.heads().get(0);
            assertEquals("classifier", c.kind(), where);
            assertEquals(num(m, "num_labels"), c.out(), where);
        }
    }

    @SuppressWarnings("unchecked")
    private static void checkKvCache(String where, Map<String, Object> m, Anatomy a) {
        boolean cache = m.get("kv_cache") != null;
        for (Sublayer s : a.sublayers()) {
            if (s.attention() == null) continue;
            Attention.KvCache c = s.attention().kvCache();
            if (!cache) {
                assertNull(c, where + s.id());
                continue;
            }
            int layer = s.block().index();
            assertEquals(new Attention.KvCache("past_key_values." + layer + ".key", "past_key_values." + layer
                    + ".value",
                    "present." + layer + ".key", "present." + layer + ".value"), c, where + s.id());
        }
    }

    /** Elements of every distinct tensor the anatomy placed; a head tied to the embedding counts once. */
    static long placedParameters(Anatomy a) {
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long n = 0;
        List<Param> params = new ArrayList<>();
        for (Stream s : a.streams()) {
            for (Embedding e : s.embeddings()) {
                params.add(e.table());
                params.add(e.bias());
            }
            for (Norm x : new Norm[] {s.embeddingNorm(), s.finalNorm()})
                if (x != null) {
                    params.add(x.gain());
                    params.add(x.bias());
                }
            for (Head h : s.heads())
                if (!Boolean.TRUE.equals(h.tied())) {
                    params.add(h.weight());
                    params.add(h.bias());
                }
        }
        for (Sublayer s : a.sublayers()) {
            for (Weight w : s.weights().values()) {
                params.add(w.matrix());
                params.add(w.bias());
            }
            if (s.norm() != null) {
                params.add(s.norm().gain());
                params.add(s.norm().bias());
            }
            if (s.attention() != null) params.add(s.attention().positionBias());
        }
        for (Param p : params) if (p != null && seen.add(p.value())) n += p.tensor().elementCount();
        return n;
    }

    @Test
    void allMiniLmL6V2() {
        Model model = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        Anatomy a = Anatomy.of(model);
        assertEquals(List.of(), a.unplaced());
        assertEquals(6, a.blocks().size());
        Stream s = a.streams().get(0);
        assertEquals("encoder", s.name());
        assertEquals(384, s.hiddenSize());
        assertEquals("post", s.normPlacement());
        assertNull(s.finalNorm());
        assertEquals(Norm.Kind.LAYER_NORM, s.embeddingNorm().kind());
        assertFalse(s.embeddingNorm().fused(), "opset 11: the norm is written out");
        assertEquals(List.of("token", "segment", "position"), s.embeddings().stream().map(Embedding::kind).toList());
        assertEquals(List.of(), s.heads());
        for (Block b : a.blocks()) {
            Sublayer at = b.sublayer(SublayerKind.ATTN);
            Sublayer f = b.sublayer(SublayerKind.FFN);
            assertEquals(12, at.attention().heads());
            assertEquals(32, at.attention().headSize());
            assertEquals(Boolean.FALSE, at.attention().causal());
            assertEquals(List.of("padding"), at.attention().mask());
            assertEquals(1536, f.ffn().hidden());
            assertEquals("gelu_erf", f.ffn().activation());
            assertEquals(Norm.Placement.POST, at.norm().placement());
            assertNull(at.norm().op());
            assertEquals(1e-12, at.norm().epsilon(), 1e-18);
            assertEquals("encoder.layer." + b.index() + ".attention.self.query.bias", at.weight(Role.Q).bias().name());
            assertEquals("encoder.layer." + b.index() + ".output.LayerNorm.weight", f.norm().gain().name());
            // attention: 4 x (384 x 384 + 384) + norm 2 x 384; FFN: 384 x 1536 + 1536 + 1536 x 384 + 384 + 2 x 384
            assertEquals(4 * (384 * 384 + 384) + 768, at.parameterCount());
            assertEquals(384 * 1536 + 1536 + 1536 * 384 + 384 + 768, f.parameterCount());
        }
        long initializers = 0;
        for (Value v : model.graph().initializers())
            if (v.initializer().dataType() == DataType.FLOAT) initializers += v.initializer().elementCount();
        assertEquals(initializers, placedParameters(a), "every float weight is placed");
        int inSublayers = 0;
        for (Sublayer x : a.sublayers()) inSublayers += x.nodes().size();
        Set<Node> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Sublayer x : a.sublayers()) for (Node n : x.nodes()) assertTrue(owned.add(n), n + " in two sublayers");
        assertEquals(inSublayers, owned.size());
    }

    /** ONNX Runtime's dynamic int8 quantization: DynamicQuantizeLinear, MatMulInteger, Cast, scale Mul, bias Add. */
    @Test
    void quantizedMiniLm() {
        Model model = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2_Q.model());
        Anatomy a = Anatomy.of(model);
        assertEquals(List.of(), a.unplaced());
        assertEquals(6, a.blocks().size());
        for (Block b : a.blocks()) {
            assertEquals("b" + b.index() + "[attn, ffn]", b.toString());
            Sublayer at = b.sublayer(SublayerKind.ATTN);
            assertEquals(12, at.attention().heads());
            assertEquals(32, at.attention().headSize());
            Weight q = at.weight(Role.Q);
            assertEquals(DataType.INT8, q.matrix().tensor().dataType(), q.matrix().name());
            assertArrayEquals(new long[] {384, 384}, q.matrix().shape());
            assertEquals("encoder.layer." + b.index() + ".attention.self.query.bias", q.bias().name());
            Sublayer f = b.sublayer(SublayerKind.FFN);
            assertEquals(1536, f.ffn().hidden());
            assertEquals("gelu_erf", f.ffn().activation());
            assertEquals("encoder.layer." + b.index() + ".output.dense.bias", f.weight(Role.DOWN).bias().name());
            assertEquals(Norm.Placement.POST, f.norm().placement());
        }
    }

    @Test
    void aCnnHasNoBlocks() {
        Anatomy a = Anatomy.of(OnnxReader.read(ExportedModels.file("cnn_small")));
        assertFalse(a.isTransformer());
        List<String> c = a.unplaced().stream().map(Unplaced::toString).toList();
        assertEquals(List.of(
                "no residual connection: the graph has no Add or Skip*LayerNormalization of two activations",
                "Conv '/features/features.0/Conv': convolution with weight onnx::Conv_36[16, 3, 3, 3] is in no block "
                        + "and is not a patch embedding",
                "Conv '/features/features.4/Conv': convolution with weight onnx::Conv_39[32, 16, 3, 3] is in no block "
                        + "and is not a patch embedding",
                "Conv '/features/features.8/Conv': convolution with weight onnx::Conv_42[64, 32, 3, 3] is in no block "
                        + "and is not a patch embedding",
                "Gemm '/fc/Gemm': weight projection fc.weight[10, 64] is in no block, embedding or head"), c);
    }
}
