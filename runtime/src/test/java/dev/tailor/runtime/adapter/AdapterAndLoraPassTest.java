package dev.tailor.runtime.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.compiler.safetensors.SafeTensors;
import dev.tailor.testdata.ExportedModels;
import dev.tailor.testdata.PeftAdapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter and lora passes on the exported models without running them: where the branches go, what the
 * anatomy still sees, parameter counts, tied weights, trained adapter weights by site name, and the errors for
 * adapters that do not fit.
 */
class AdapterAndLoraPassTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());

    @TempDir
    Path dir;

    @Test
    void theAnatomySeesEverySublayerAfterEachInsertion() {
        for (String name : List.of("bert_tiny", "gpt2_tiny", "llama_tiny", "torch_encoder_preln", "vit_tiny")) {
            int sublayers = Anatomy.of(model(name)).sublayers().size();
            for (String p : List.of("adapter(kind=houlsby)", "adapter(kind=parallel, activation=gelu)",
                    "adapter(kind=pfeiffer, activation=silu)", "lora(targets=[q, v, o, down], rank=4)",
                    "lora(rank=2) | adapter(kind=houlsby, size=8)")) {
                Model m = model(name);
                apply(m, p);
                Anatomy a = Anatomy.of(m);
                assertEquals(sublayers, a.sublayers().size(), name + " after " + p + ":\n" + a);
            }
        }
    }

    @Test
    void adapterWeightsAreNamedBySiteAndCounted() {
        Model m = model("bert_tiny"); // hidden 64, 2 blocks
        long before = parameters(m);
        PassResult r = apply(m, "adapter(kind=houlsby, reduction=16, expose=true)");
        assertEquals(List.of("b0.attn", "b0.ffn", "b1.attn", "b1.ffn"), r.metrics().get("sites"));
        long perSite = 64 * 4 + 4 + 4 * 64 + 64;
        assertEquals(4 * perSite, r.metrics().get("parameters_added"));
        assertEquals(before + 4 * perSite, parameters(m));
        assertTrue(m.graph().inputs().stream().anyMatch(v -> v.name().equals("b1.ffn.adapter.up")
                && v.initializer() != null), "exposed weights are graph inputs with their values as defaults");
    }

    @Test
    void trainedAdapterWeightsLoadBySiteNameAndMisfitsAreNamed() {
        Path file = dir.resolve("adapters.safetensors");
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("b1.ffn.adapter.down", Tensor.ofFloats("d", new long[] {64, 8}, new float[64 * 8]));
        float[] up = new float[8 * 64];
        up[3] = 0.5f;
        t.put("b1.ffn.adapter.up", Tensor.ofFloats("u", new long[] {8, 64}, up));
        SafeTensors.write(file, t, Map.of());
        Model m = model("bert_tiny");
        PassResult r = apply(m, "adapter(kind=pfeiffer, blocks=1, weights=\"" + file + "\")");
        assertEquals(8L, r.metrics().get("size"));
        Tensor loaded = m.graph().initializers().stream().filter(v -> v.name().equals("b1.ffn.adapter.up"))
                .findFirst().orElseThrow().initializer();
        assertEquals(0.5f, loaded.toFloats()[3]);

        assertFails("adapter(kind=pfeiffer, weights=\"" + file + "\")", "tensor 'b0.ffn.adapter.down' is missing");
        assertFails("adapter(kind=houlsby, blocks=1, weights=\"" + file + "\")", "tensor 'b1.attn.adapter.down' is missing");
        t.put("b1.ffn.adapter.up", Tensor.ofFloats("u", new long[] {64, 8}, up));
        SafeTensors.write(file, t, Map.of());
        assertFails("adapter(kind=pfeiffer, blocks=1, weights=\"" + file + "\")",
                "tensor 'b1.ffn.adapter.up' shape mismatch: it is [64, 8], the site needs [8, 64]");
        t.put("b1.ffn.adapter.up", Tensor.ofFloats("u", new long[] {8, 64}, up));
        t.put("b7.ffn.adapter.down", Tensor.ofFloats("x", new long[] {1}, 0));
        SafeTensors.write(file, t, Map.of());
        assertFails("adapter(kind=pfeiffer, blocks=1, weights=\"" + file + "\")",
                "tensor 'b7.ffn.adapter.down' belongs to no adapter the pass inserted");
    }

    @Test
    void loraMapsPeftModulesOntoAnonymousWeightsAndCopiesSharedOnes() {
        Model m = model("llama_tiny"); // initializers onnx::MatMul_NNN: nothing but the anatomy says which is q
        Anatomy a = Anatomy.of(m);
        Node q0 = product(a, "b0.attn.q");
        Node q1 = product(a, "b1.attn.q");
        q1.setInput(1, q0.input(1)); // b1's query now shares b0's matrix, as tied layers do
        PassResult r = apply(m, "lora(weights=\"" + PeftAdapters.folder("llama_qv") + "\", merge=true)");
        assertEquals(List.of("b0.attn.q", "b0.attn.v", "b1.attn.q", "b1.attn.v"), r.metrics().get("sites"));
        assertEquals(8.0 / 2, (Double) r.metrics().get("scale"), 1e-12, "rslora: alpha / sqrt(r)");
        assertEquals(1, r.metrics().get("shared_weights_copied"));
        assertNotSame(q0.input(1), q1.input(1), "the shared matrix is no longer shared: each got its own update");
        assertTrue(r.notes().get(0).contains("merged into a copy 'b0.attn.q.merged'"), r.notes().toString());
    }

    @Test
    void loraOnGpt2TakesTheFusedQkvWholeOrByColumns() {
        Model m = model("gpt2_tiny");
        PassResult r = apply(m, "lora(weights=\"" + PeftAdapters.folder("gpt2_c_attn") + "\")");
        assertEquals(List.of("b0.attn.qkv", "b1.attn.qkv"), r.metrics().get("sites"));
        assertEquals(true, r.metrics().get("fan_in_fan_out"));
        assertEquals(2L * (64 * 2 + 2 * 192), r.metrics().get("parameters_added"));
        Model f = model("gpt2_tiny");
        PassResult fresh = apply(f, "lora(targets=[v], rank=2)");
        assertEquals(List.of("b0.attn.v", "b1.attn.v"), fresh.metrics().get("sites"));
    }

    @Test
    void adaptersThatDoNotFitGetOneLineNamingTheTensor() throws IOException {
        Path src = PeftAdapters.folder("minilm_qv");
        SafeTensors st = SafeTensors.read(src.resolve("adapter_model.safetensors"));
        String a0 = "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight";
        String b0 = "base_model.model.encoder.layer.0.attention.self.query.lora_B.weight";
        Model bert = model("bert_tiny"); // hidden 64: MiniLM's 384-wide matrices do not fit

        Path wrongModel = adapter("wrong_model", Map.of(a0, st.require(a0), b0, st.require(b0)), config("[\"query\"]", 4));
        assertFails(bert, wrongModel, "tensor '" + a0 + "' shape mismatch: A is [4, 384] but b0.attn.q has 64 input features");
        Path rank = adapter("rank", Map.of(a0, zeros(4, 64), b0, zeros(64, 3)), config("[\"query\"]", 4));
        assertFails(bert, rank, "tensor '" + a0 + "' rank mismatch: A is [4, 64] and B is [64, 3], but "
                + "adapter_config.json says r=4");
        Path unknown = adapter("unknown", Map.of(a0, zeros(4, 64), b0, zeros(64, 4)), config("[\"query\", \"dense_4h\"]", 4));
        assertFails(bert, unknown, "target module 'dense_4h' is not one Tailor can map onto the anatomy");
        Path untargeted = adapter("untargeted", Map.of(a0, zeros(4, 64), b0, zeros(64, 4)), config("[\"value\"]", 4));
        assertFails(bert, untargeted, "tensor '" + a0 + "' belongs to module 'encoder.layer.0.attention.self.query', "
                + "which adapter_config.json's target_modules [value] does not name");
        String odd = "base_model.model.encoder.layer.0.crossattention.q.lora_A.weight";
        Path unplaceable = adapter("unplaceable", Map.of(odd, zeros(4, 64), odd.replace("lora_A", "lora_B"), zeros(64, 4)),
                config("\"encoder.*\"", 4));
        assertFails(bert, unplaceable, "tensor '" + odd + "' module 'encoder.layer.0.crossattention.q' is not one Tailor can place");
        Path deep = adapter("deep", Map.of(a0.replace("layer.0", "layer.9"), zeros(4, 64), b0.replace("layer.0", "layer.9"),
                zeros(64, 4)), config("[\"query\"]", 4));
        assertFails(bert, deep, "targets layer 9's q projection, which the model does not have");

        assertFails("lora(merge=true)", "merge=true needs weights=FILE");
        assertFails("lora(targets=[qq])", "target 'qq' is not a weight");
        assertFails("adapter(kind=parallel, sites=[attn])", "a parallel adapter goes beside the FFN");
    }

    private Path adapter(String name, Map<String, Tensor> tensors, String config) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        SafeTensors.write(folder.resolve("adapter_model.safetensors"), new LinkedHashMap<>(tensors), Map.of());
        Files.writeString(folder.resolve("adapter_config.json"), config);
        return folder;
    }

    private static String config(String targets, int r) {
        return "{\"peft_type\": \"LORA\", \"r\": " + r + ", \"lora_alpha\": 8, \"target_modules\": " + targets + "}";
    }

    private static Tensor zeros(int rows, int cols) {
        return Tensor.ofFloats("z", new long[] {rows, cols}, new float[rows * cols]);
    }

    private static void assertFails(Model m, Path adapter, String expected) {
        PassException e = assertThrows(PassException.class,
                () -> apply(m, "lora(weights=\"" + adapter + "\")"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private static void assertFails(String pipeline, String expected) {
        assertFails(model("bert_tiny"), pipeline, expected);
    }

    private static void assertFails(Model m, String pipeline, String expected) {
        Exception e = assertThrows(PassException.class, () -> apply(m, pipeline));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private static Node product(Anatomy a, String id) {
        return a.weight(id).matrix().value().uses().get(0).node();
    }

    private static PassResult apply(Model m, String pipeline) {
        List<PassReport> r = new PassManager(true).run(m, PARSER.parse(pipeline), PassContext.basic());
        assertEquals(List.of(), Verifier.verify(m), pipeline);
        return r.get(r.size() - 1).result();
    }

    private static long parameters(Model m) {
        long n = 0;
        for (var v : m.graph().initializers()) n += v.initializer().elementCount();
        return n;
    }

    private static Model model(String name) {
        return OnnxReader.read(ExportedModels.file(name));
    }
}
