package dev.tailor.compiler.anatomy;

import static dev.tailor.compiler.anatomy.Net.F;
import static dev.tailor.compiler.anatomy.Net.H;
import static dev.tailor.compiler.anatomy.Net.HD;
import static dev.tailor.compiler.anatomy.Net.N;
import static dev.tailor.compiler.anatomy.Net.V;
import static dev.tailor.compiler.anatomy.Net.in;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime's fused transformer graphs, built with the IR builder the way ORT's transformer optimizer writes
 * them: BERT (Attention, SkipLayerNormalization, BiasGelu; post-LN), GPT-2 (Attention with unidirectional,
 * SkipLayerNormalization with its sum output, FastGelu; pre-LN), Llama (SimplifiedLayerNormalization,
 * RotaryEmbedding, GroupQueryAttention with a KV cache, SkipSimplifiedLayerNormalization, SwiGLU), GQA with packed
 * QKV, and an encoder–decoder with MultiHeadAttention (self and cross) and packed per-head QKV.
 */
class FusedAnatomyTest {

    private static Anatomy anatomy(Model m) {
        assertEquals(List.of(), Verifier.verify(m), "the test graph itself is valid");
        return Anatomy.of(m);
    }

    private static void assertNothingUnplaced(Anatomy a) {
        assertEquals(List.of(), a.unplaced(), a.toString());
    }

    /** ORT's BERT fusion: post-LN, the residual add and the norm in one SkipLayerNormalization. */
    static Model bert() {
        Net t = new Net();
        Value ids = t.ids("input_ids");
        Value mask = t.input("attention_mask", DataType.INT32, "batch", "seq");
        Value x = t.layerNorm(t.op("Gather", t.w("word", V, H), ids), "emb");
        for (int i = 0; i < 2; i++) {
            Node att = t.ms("Attention", 1, in(x, t.w(i + ".qkv", H, 3 * H), t.w(i + ".qkv_b", 3 * H), mask),
                    Attribute.of("num_heads", (long) N));
            Value o = t.matmul(att.output(0), i + ".o", H, H);
            Node sk = t.ms("SkipLayerNormalization", 1, in(o, x, t.w(i + ".ln1.g", H), t.w(i + ".ln1.b", H), t.w(i
                    + ".o_b", H)),
                    Attribute.of("epsilon", 1e-12f));
            Value x1 = sk.output(0);
            Value up = t.matmul(x1, i + ".up", H, F);
            Node gelu = t.ms("BiasGelu", 1, in(up, t.w(i + ".up_b", F)));
            Value down = t.matmul(gelu.output(0), i + ".down", F, H);
            Node sk2 = t.ms("SkipLayerNormalization", 1, in(down, x1, t.w(i + ".ln2.g", H), t.w(i + ".ln2.b", H), t.w(i
                    + ".down_b", H)),
                    Attribute.of("epsilon", 1e-12f));
            x = sk2.output(0);
        }
        t.b.output(x);
        return t.model();
    }

    @Test
    void ortBertAttentionSkipLayerNormBiasGelu() {
        Anatomy a = anatomy(bert());
        assertNothingUnplaced(a);
        assertEquals(2, a.blocks().size());
        Stream s = a.streams().get(0);
        assertEquals("encoder", s.name());
        assertEquals("post", s.normPlacement());
        assertEquals("emb.g", s.embeddingNorm().gain().name());
        assertEquals("token", s.embeddings().get(0).kind());
        assertEquals("input_ids", s.embeddings().get(0).indices());
        for (Block b : a.blocks()) {
            assertEquals(List.of(SublayerKind.ATTN, SublayerKind.FFN),
                    b.sublayers().stream().map(Sublayer::kind).toList());
            Sublayer at = b.sublayer(SublayerKind.ATTN);
            assertEquals("com.microsoft.Attention", at.attention().op());
            assertEquals(N, at.attention().heads());
            assertEquals(HD, at.attention().headSize());
            assertEquals("fused", at.attention().qkv());
            assertEquals(Boolean.FALSE, at.attention().causal());
            assertEquals(List.of("padding"), at.attention().mask());
            assertEquals(Norm.Placement.POST, at.norm().placement());
            assertEquals("com.microsoft.SkipLayerNormalization", at.norm().op());
            assertEquals(1e-12, at.norm().epsilon());
            assertSame(at.residual(), at.norm().nodes().iterator().next(),
                    "the SkipLayerNormalization is both add and norm");
            int i = b.index();
            Weight q = at.weight(Role.Q);
            Weight k = at.weight(Role.K);
            Weight v = at.weight(Role.V);
            assertEquals(i + ".qkv", q.matrix().name());
            assertEquals(Columns.range(0, H), q.matrix().columns());
            assertEquals(Columns.range(H, H), k.matrix().columns());
            assertEquals(Columns.range(2 * H, H), v.matrix().columns());
            assertArrayEquals(new long[] {H, H}, q.matrix().shape());
            assertEquals(i + ".qkv_b", v.bias().name());
            assertEquals(Columns.range(2 * H, H), v.bias().columns());
            assertEquals(i + ".o_b", at.weight(Role.O).bias().name(),
                    "the output bias sits in the SkipLayerNormalization");
            Sublayer f = b.sublayer(SublayerKind.FFN);
            assertEquals(new Ffn(F, "gelu_erf", false, "com.microsoft.BiasGelu"), f.ffn());
            assertEquals(i + ".up_b", f.weight(Role.UP).bias().name());
            assertEquals(i + ".down_b", f.weight(Role.DOWN).bias().name());
            assertEquals(i + ".ln2.g", f.norm().gain().name());
        }
        // parameters: qkv + its bias + o + o bias + ln1 for attention
        assertEquals(H * 3L * H + 3 * H + H * H + H + 2 * H, a.sublayer("b0.attn").parameterCount());
    }

    /** ORT's GPT-2 fusion: pre-LN, SkipLayerNormalization's output 0 is the next norm, output 3 the stream. */
    static Model gpt2() {
        Net t = new Net();
        Value ids = t.ids("input_ids");
        Value pos = t.ids("position_ids");
        Value x = t.op("Add", t.op("Gather", t.w("wte", V, H), ids), t.op("Gather", t.w("wpe", 64, H), pos));
        Value h = t.layerNorm(x, "h0.ln1");
        for (int i = 0; i < 2; i++) {
            Node att = t.ms("Attention", 1, in(h, t.w(i + ".c_attn", H, 3 * H), t.w(i + ".c_attn_b", 3 * H)),
                    Attribute.of("num_heads", (long) N), Attribute.of("unidirectional", 1L));
            Value o = t.matmul(att.output(0), i + ".c_proj", H, H);
            Node sk = t.ms("SkipLayerNormalization", 4, in(o, x, t.w(i + ".ln2.g", H), t.w(i + ".ln2.b", H), t.w(i
                    + ".c_proj_b", H)));
            x = sk.output(3);
            Value up = t.matmul(sk.output(0), i + ".c_fc", H, F);
            Node gelu = t.ms("FastGelu", 1, in(up, t.w(i + ".c_fc_b", F)));
            Value down = t.matmul(gelu.output(0), i + ".mlp_proj", F, H);
            String next = i == 1 ? "ln_f" : (i + 1) + ".ln1";
            Node sk2 = t.ms("SkipLayerNormalization", 4, in(down, x, t.w(next + ".g", H), t.w(next + ".b", H), t.w(i
                    + ".mlp_proj_b", H)));
            x = sk2.output(3);
            h = sk2.output(0);
        }
        t.b.output(t.matmul(h, "lm_head", H, V));
        return t.model();
    }

    @Test
    void ortGpt2PreNormWithSkipLayerNormSumAndFastGelu() {
        Anatomy a = anatomy(gpt2());
        assertNothingUnplaced(a);
        Stream s = a.streams().get(0);
        assertEquals("decoder", s.name(), "unidirectional attention is causal");
        assertEquals(2, s.blocks().size());
        assertEquals("pre", s.normPlacement());
        assertEquals(List.of("token", "position"), s.embeddings().stream().map(Embedding::kind).toList());
        assertEquals("LayerNormalization", a.sublayer("b0.attn").norm().op());
        assertEquals("com.microsoft.SkipLayerNormalization", a.sublayer("b1.attn").norm().op());
        assertEquals("com.microsoft.SkipLayerNormalization", a.sublayer("b0.ffn").norm().op());
        assertEquals("ln_f.g", s.finalNorm().gain().name());
        assertEquals(Norm.Placement.FINAL, s.finalNorm().placement());
        assertEquals(Boolean.TRUE, a.sublayer("b1.attn").attention().causal());
        assertEquals(new Ffn(F, "gelu_tanh", false, "com.microsoft.FastGelu"), a.sublayer("b1.ffn").ffn());
        assertEquals("1.c_fc_b", a.weight("b1.ffn.up").bias().name());
        assertEquals("1.c_proj_b", a.weight("b1.attn.o").bias().name());
        Head head = s.heads().get(0);
        assertEquals("lm_head", head.kind());
        assertEquals(Boolean.FALSE, head.tied(), "a head with other values is not tied");
        assertEquals(V, head.out());
    }

    /** ORT's Llama fusion: RMSNorm fused, rotary, grouped-query attention with a KV cache, SwiGLU. */
    static Model llama(boolean packedQkv) {
        Net t = new Net();
        int kv = 2;
        Value ids = t.ids("input_ids");
        Value pos = t.ids("position_ids");
        Value seqlens = t.input("seqlens_k", DataType.INT32, "batch");
        Value total = t.input("total_sequence_length", DataType.INT32);
        Value cos = t.w("cos_cache", 64, HD / 2);
        Value sin = t.w("sin_cache", 64, HD / 2);
        Value x = t.op("Gather", t.w("embed", V, H), ids);
        Value h = t.op("SimplifiedLayerNormalization", List.of(x, t.w("0.in_norm", H)), Attribute.of("epsilon", 1e-6f));
        for (int i = 0; i < 2; i++) {
            Value pk = t.input("past_key_values." + i + ".key", DataType.FLOAT, "batch", kv, "past", HD);
            Value pv = t.input("past_key_values." + i + ".value", DataType.FLOAT, "batch", kv, "past", HD);
            Node gqa;
            if (packedQkv) {
                Value qkv = t.matmul(h, i + ".qkv_proj", H, (N + 2L * kv) * HD);
                gqa = t.ms("GroupQueryAttention", 3, in(qkv, null, null, pk, pv, seqlens, total, cos, sin),
                        Attribute.of("num_heads", (long) N), Attribute.of("kv_num_heads", (long) kv),
                                Attribute.of("do_rotary", 1L));
            } else {
                Value q = t.matmul(h, i + ".q_proj", H, H);
                Value k = t.matmul(h, i + ".k_proj", H, (long) kv * HD);
                Value v = t.matmul(h, i + ".v_proj", H, (long) kv * HD);
                Value qr = t.ms("RotaryEmbedding", 1, in(q, pos, cos, sin)).output(0);
                Value kr = t.ms("RotaryEmbedding", 1, in(k, pos, cos, sin)).output(0);
                gqa = t.ms("GroupQueryAttention", 3, in(qr, kr, v, pk, pv, seqlens, total),
                        Attribute.of("num_heads", (long) N), Attribute.of("kv_num_heads", (long) kv));
            }
            t.b.output(gqa.output(1), gqa.output(2));
            Value o = t.matmul(gqa.output(0), i + ".o_proj", H, H);
            Node sk = t.ms("SkipSimplifiedLayerNormalization", 4, in(o, x, t.w(i + ".post_norm", H)),
                    Attribute.of("epsilon", 1e-6f));
            x = sk.output(3);
            Value gate = t.matmul(sk.output(0), i + ".gate_proj", H, F);
            Value up = t.matmul(sk.output(0), i + ".up_proj", H, F);
            Value silu = t.op("Mul", gate, t.op("Sigmoid", gate));
            Value down = t.matmul(t.op("Mul", silu, up), i + ".down_proj", F, H);
            Node sk2 = t.ms("SkipSimplifiedLayerNormalization", 4, in(down, x, t.w(i == 1 ? "norm" : (i + 1)
                    + ".in_norm", H)),
                    Attribute.of("epsilon", 1e-6f));
            x = sk2.output(3);
            h = sk2.output(0);
        }
        t.b.output(t.matmul(h, "lm_head", H, V));
        return t.model();
    }

    @Test
    void ortLlamaGroupQueryAttentionRotarySkipSimplifiedNormSwiGlu() {
        Anatomy a = anatomy(llama(false));
        assertNothingUnplaced(a);
        Stream s = a.streams().get(0);
        assertEquals("decoder", s.name());
        assertEquals(2, a.blocks().size());
        assertEquals("pre", s.normPlacement());
        Sublayer at = a.sublayer("b1.attn");
        Attention att = at.attention();
        assertEquals("com.microsoft.GroupQueryAttention", att.op());
        assertEquals(N, att.heads());
        assertEquals(2, att.kvHeads());
        assertEquals(HD, att.headSize());
        assertTrue(att.groupedQuery());
        assertTrue(att.rotary(), "RotaryEmbedding on the queries");
        assertEquals(Boolean.TRUE, att.causal());
        assertEquals(new Attention.KvCache("past_key_values.1.key", "past_key_values.1.value", "GroupQueryAttention_"
                + gqaIndex(a, 1) + "_1",
                "GroupQueryAttention_" + gqaIndex(a, 1) + "_2"), att.kvCache());
        assertEquals("separate", att.qkv());
        assertEquals("1.k_proj", a.weight("b1.attn.k").matrix().name());
        assertEquals(8, a.weight("b1.attn.k").out());
        assertEquals(Norm.Kind.RMS_NORM, at.norm().kind());
        assertEquals("com.microsoft.SkipSimplifiedLayerNormalization", at.norm().op());
        assertEquals("SimplifiedLayerNormalization", a.sublayer("b0.attn").norm().op());
        Sublayer f = a.sublayer("b0.ffn");
        assertEquals(new Ffn(F, "silu", true, null), f.ffn());
        assertEquals("swiglu", f.ffn().describe());
        assertEquals("0.gate_proj", f.weight(Role.GATE).matrix().name());
        assertEquals("0.up_proj", f.weight(Role.UP).matrix().name());
        assertEquals("0.down_proj", f.weight(Role.DOWN).matrix().name());
        assertEquals(Norm.Kind.RMS_NORM, s.finalNorm().kind());
        assertEquals("norm", s.finalNorm().gain().name());
        assertEquals("lm_head", s.heads().get(0).kind());
    }

    private static String gqaIndex(Anatomy a, int block) {
        for (Node n : a.sublayer("b" + block + ".attn").nodes())
            if (n.opType().equals("GroupQueryAttention")) return n.name().substring("GroupQueryAttention_".length());
        throw new AssertionError("no GroupQueryAttention in b" + block + ".attn");
    }

    @Test
    void groupQueryAttentionWithPackedQkvSplitsTheWeightLogically() {
        Anatomy a = anatomy(llama(true));
        assertNothingUnplaced(a);
        Attention att = a.sublayer("b0.attn").attention();
        assertEquals("fused", att.qkv());
        assertTrue(att.rotary(), "do_rotary=1");
        assertEquals(N, att.heads());
        assertEquals(2, att.kvHeads());
        assertEquals(HD, att.headSize());
        Weight q = a.weight("b0.attn.q");
        Weight k = a.weight("b0.attn.k");
        Weight v = a.weight("b0.attn.v");
        assertEquals("0.qkv_proj", q.matrix().name());
        assertEquals(Columns.range(0, 16), q.matrix().columns());
        assertEquals(Columns.range(16, 8), k.matrix().columns());
        assertEquals(Columns.range(24, 8), v.matrix().columns());
        assertTrue(q.fused() && k.fused() && v.fused());
        assertEquals(H * 32L, q.parameterCount() + k.parameterCount() + v.parameterCount(),
                "the parts cover the tensor");
    }

    /** An encoder–decoder with MultiHeadAttention: projections outside the operator, biases packed into it. */
    static Model encoderDecoder(boolean packedSelfAttention) {
        Net t = new Net();
        Value src = t.ids("input_ids");
        Value tgt = t.ids("decoder_input_ids");
        Value emb = t.w("shared", V, H);
        Value x = t.op("Gather", emb, src);
        // encoder: one pre-LN block
        Value h = t.layerNorm(x, "enc.0.ln1");
        Value mha;
        if (packedSelfAttention) {
            Value qkv = t.matmul(h, "enc.0.qkv", H, 3 * H);
            Value packed = t.op("Reshape", qkv, t.longs("packed_shape", 0, 0, N, 3, HD));
            mha = t.ms("MultiHeadAttention", 1, in(packed), Attribute.of("num_heads", (long) N)).output(0);
        } else {
            mha = t.ms("MultiHeadAttention", 1, in(t.matmul(h, "enc.0.q", H, H), t.matmul(h, "enc.0.k", H, H),
                    t.matmul(h, "enc.0.v", H, H), t.w("enc.0.qkv_b", 3 * H)), Attribute.of("num_heads",
                            (long) N)).output(0);
        }
        x = t.op("Add", x, t.matmul(mha, "enc.0.o", H, H));
        h = t.layerNorm(x, "enc.0.ln2");
        x = t.op("Add", x, t.matmul(t.op("Relu", t.matmul(h, "enc.0.up", H, F)), "enc.0.down", F, H));
        Value enc = t.layerNorm(x, "enc.final");
        // decoder: self-attention (causal), cross-attention on the encoder's output, FFN
        Value y = t.op("Gather", emb, tgt);
        h = t.layerNorm(y, "dec.0.ln1");
        mha = t.ms("MultiHeadAttention", 1, in(t.matmul(h, "dec.0.q", H, H), t.matmul(h, "dec.0.k", H, H),
                t.matmul(h, "dec.0.v", H, H)), Attribute.of("num_heads", (long) N), Attribute.of("unidirectional",
                        1L)).output(0);
        y = t.op("Add", y, t.matmul(mha, "dec.0.o", H, H));
        h = t.layerNorm(y, "dec.0.ln2");
        mha = t.ms("MultiHeadAttention", 1, in(t.matmul(h, "dec.0.xq", H, H), t.matmul(enc, "dec.0.xk", H, H),
                t.matmul(enc, "dec.0.xv", H, H)), Attribute.of("num_heads", (long) N)).output(0);
        y = t.op("Add", y, t.matmul(mha, "dec.0.xo", H, H));
        h = t.layerNorm(y, "dec.0.ln3");
        y = t.op("Add", y, t.matmul(t.op("Relu", t.matmul(h, "dec.0.up", H, F)), "dec.0.down", F, H));
        Value dec = t.layerNorm(y, "dec.final");
        t.b.output(t.matmul(dec, "lm_head", H, V));
        return t.model();
    }

    @Test
    void multiHeadAttentionEncoderDecoderWithCrossAttention() {
        Anatomy a = anatomy(encoderDecoder(false));
        assertNothingUnplaced(a);
        assertEquals(List.of("encoder", "decoder"), a.streams().stream().map(Stream::name).toList());
        assertEquals("b0[attn, ffn]", a.block("b0").toString());
        assertEquals("b1[attn, xattn, ffn]", a.block("b1").toString());
        assertSame(a.streams().get(1), a.block("b1").stream());
        Sublayer x = a.sublayer("b1.xattn");
        assertEquals(SublayerKind.XATTN, x.kind());
        assertEquals("dec.0.xk", x.weight(Role.K).matrix().name());
        assertSame(a.streams().get(0).finalNorm().output(), x.attention().kvSource(),
                "keys and values from the encoder");
        assertEquals(Boolean.TRUE, a.sublayer("b1.attn").attention().causal());
        assertEquals(Boolean.FALSE, a.sublayer("b0.attn").attention().causal());
        Weight q = a.weight("b0.attn.q");
        assertEquals("enc.0.q", q.matrix().name());
        assertFalse(q.fused());
        assertEquals("enc.0.qkv_b", q.bias().name());
        assertEquals(Columns.range(0, H), q.bias().columns());
        assertEquals(Columns.range(2 * H, H), a.weight("b0.attn.v").bias().columns());
        assertEquals("dec.0.ln2.g", x.norm().gain().name());
        assertEquals(Norm.Placement.PRE, x.norm().placement());
        assertEquals("enc.final.g", a.streams().get(0).finalNorm().gain().name());
        assertEquals(0, a.streams().get(0).heads().size(), "the encoder's end feeds cross-attention, not a head");
        assertEquals(1, a.streams().get(1).heads().size());
    }

    @Test
    void multiHeadAttentionWithPackedQkvIsInterleavedPerHead() {
        Anatomy a = anatomy(encoderDecoder(true));
        assertNothingUnplaced(a);
        Attention att = a.sublayer("b0.attn").attention();
        assertEquals("packed", att.qkv());
        assertEquals(N, att.heads());
        assertEquals(HD, att.headSize());
        Columns q = a.weight("b0.attn.q").matrix().columns();
        Columns v = a.weight("b0.attn.v").matrix().columns();
        assertEquals(new Columns(0, HD, 3 * HD, N), q);
        assertEquals(new Columns(2 * HD, HD, 3 * HD, N), v);
        assertTrue(q.contains(0) && !q.contains(HD) && q.contains(3 * HD));
        assertEquals("0..4 every 12 x4", q.toString());
    }

    /** ONNX's own fused operators: Attention and RMSNormalization (opset 23), Gelu with the tanh approximation (20). */
    @Test
    void onnxOpset23AttentionRmsNormalizationAndGelu() {
        Net t = new Net();
        Value x = t.hidden("x");
        for (int i = 0; i < 2; i++) {
            Value h = t.op("RMSNormalization", List.of(x, t.w(i + ".ln1", H)), Attribute.of("epsilon", 1e-6f));
            Value att = t.op("Attention", List.of(t.matmul(h, i + ".q", H, H), t.matmul(h, i + ".k", H, 2L * HD),
                    t.matmul(h, i + ".v", H, 2L * HD)), Attribute.of("q_num_heads", (long) N),
                            Attribute.of("kv_num_heads", 2L),
                    Attribute.of("is_causal", 1L));
            x = t.op("Add", x, t.matmul(att, i + ".o", H, H));
            h = t.op("RMSNormalization", List.of(x, t.w(i + ".ln2", H)), Attribute.of("epsilon", 1e-6f));
            Value gelu = t.op("Gelu", List.of(t.matmul(h, i + ".up", H, F)), Attribute.of("approximate", "tanh"));
            x = t.op("Add", x, t.matmul(gelu, i + ".down", F, H));
        }
        t.b.output(t.op("RMSNormalization", List.of(x, t.w("final", H))));
        Model m = Model.of(t.b.build(), 23);
        Anatomy a = Anatomy.of(m);
        assertNothingUnplaced(a);
        assertEquals("decoder", a.streams().get(0).name());
        assertEquals(2, a.blocks().size());
        Attention att = a.sublayer("b1.attn").attention();
        assertEquals("Attention", att.op());
        assertEquals(N, att.heads());
        assertEquals(2, att.kvHeads());
        assertEquals(HD, att.headSize());
        assertEquals(Boolean.TRUE, att.causal());
        assertEquals(Norm.Kind.RMS_NORM, a.sublayer("b1.attn").norm().kind());
        assertEquals("RMSNormalization", a.sublayer("b1.ffn").norm().op());
        assertEquals(new Ffn(F, "gelu_tanh", false, "Gelu"), a.sublayer("b0.ffn").ffn());
        assertEquals("final", a.streams().get(0).finalNorm().gain().name());
    }

    @Test
    void everyNodeBelongsToAtMostOneSublayer() {
        for (Model m : List.of(bert(), gpt2(), llama(false), encoderDecoder(false))) {
            Anatomy a = Anatomy.of(m);
            java.util.Map<Node, String> owner = new java.util.IdentityHashMap<>();
            for (Sublayer s : a.sublayers())
                for (Node n : s.nodes()) {
                    String before = owner.put(n, s.id());
                    // a fused Skip*LayerNormalization is one sublayer's residual add and the next one's pre-norm
                    if (before != null) assertTrue(n.opType().startsWith("Skip"), n + " in " + before + " and "
                            + s.id());
                }
            for (Sublayer s : a.sublayers())
                for (Weight w : s.weights().values()) assertNotNull(w.matrix().tensor(), w.id());
        }
    }

    @Test
    void anatomyDoesNotChangeTheModel() {
        Model m = gpt2();
        int nodes = m.graph().nodeCount();
        List<Value> outputs = m.graph().outputs();
        Anatomy.of(m);
        assertEquals(nodes, m.graph().nodeCount());
        assertEquals(outputs, m.graph().outputs());
        for (Node n : m.graph().nodes()) for (Value o : n.outputs()) if (o != null) assertNull(o.type(),
                "no types recorded");
    }
}
