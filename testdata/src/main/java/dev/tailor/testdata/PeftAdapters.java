package dev.tailor.testdata;

import java.nio.file.Path;
import java.util.List;

/**
 * Small LoRA adapters in PEFT's layout ({@code testdata/scripts/make_lora_adapters.py}): random A and B for
 * all-MiniLM-L6-v2's query and value ({@code minilm_qv}, r=4, alpha=8), gpt2_tiny's fused {@code c_attn}
 * ({@code gpt2_c_attn}, fan_in_fan_out, r=2, alpha=4) and llama_tiny's q_proj and v_proj ({@code llama_qv},
 * rank-stabilized, r=4, alpha=8).
 */
public final class PeftAdapters {
    private static final String FOLDER = "dev/tailor/testdata/adapters/";

    public static final List<String> NAMES = List.of("minilm_qv", "gpt2_c_attn", "llama_qv");

    private PeftAdapters() {}

    /** The folder holding {@code adapter_model.safetensors} and {@code adapter_config.json}, extracted on first use. */
    public static Path folder(String name) {
        if (!NAMES.contains(name)) throw new IllegalArgumentException("no adapter '" + name + "'; there are " + NAMES);
        ModelZoo.extract(FOLDER + name + "/adapter_config.json");
        return ModelZoo.extract(FOLDER + name + "/adapter_model.safetensors").getParent();
    }
}
