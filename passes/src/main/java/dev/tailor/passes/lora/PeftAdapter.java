package dev.tailor.passes.lora;

import dev.tailor.compiler.anatomy.Role;
import dev.tailor.compiler.ir.Floats;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.json.Json;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.safetensors.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A trained LoRA adapter as PEFT saves it: {@code adapter_model.safetensors} with {@code <module>.lora_A.weight}
 * ({@code [r, in]}) and {@code <module>.lora_B.weight} ({@code [out, r]}) per adapted module, and
 * {@code adapter_config.json} beside it ({@code r}, {@code lora_alpha}, {@code use_rslora}, {@code target_modules},
 * {@code fan_in_fan_out}).
 *
 * <p>Module names are mapped onto anatomy parts by layer index and the module's path inside the layer, never
 * onto ONNX initializer names (exporters often leave those anonymous): BERT and ViT
 * ({@code attention.self.query|key|value}, {@code attention.output.dense}, {@code intermediate.dense},
 * {@code output.dense}), Llama and its kin ({@code self_attn.q_proj|k_proj|v_proj|o_proj},
 * {@code mlp.gate_proj|up_proj|down_proj}) and GPT-2 ({@code attn.c_attn} for the fused q, k and v,
 * {@code attn.c_proj}, {@code mlp.c_fc}, {@code mlp.c_proj}; its Conv1D weights are why PEFT sets
 * {@code fan_in_fan_out}, which changes nothing here: A and B keep their shapes and the update in ONNX's
 * {@code [in, out]} layout is {@code (B·A)ᵀ} either way).
 */
final class PeftAdapter {
    /** One adapted module: the layer it is in, the roles its matrix plays, and its A and B. */
    record Module(String name, int layer, List<Role> roles, Tensor a, Tensor b) {
        float[] aValues() {
            return Floats.decode(a);
        }

        float[] bValues() {
            return Floats.decode(b);
        }
    }

    private static final Pattern LAYER = Pattern.compile("(?:^|.*\\.)(?:layer|layers|h|block|blocks)\\.(\\d+)\\.(.+)");
    private static final Pattern KEY = Pattern.compile("(.+)\\.lora_([AB])(?:\\.[A-Za-z0-9_]+)?\\.weight");

    /** A module's path inside its layer, and the roles it plays. */
    private static final Map<String, List<Role>> PATHS = new LinkedHashMap<>();

    static {
        PATHS.put("attention.self.query", List.of(Role.Q));
        PATHS.put("attention.self.key", List.of(Role.K));
        PATHS.put("attention.self.value", List.of(Role.V));
        PATHS.put("attention.attention.query", List.of(Role.Q));
        PATHS.put("attention.attention.key", List.of(Role.K));
        PATHS.put("attention.attention.value", List.of(Role.V));
        PATHS.put("attention.output.dense", List.of(Role.O));
        PATHS.put("intermediate.dense", List.of(Role.UP));
        PATHS.put("output.dense", List.of(Role.DOWN));
        PATHS.put("self_attn.q_proj", List.of(Role.Q));
        PATHS.put("self_attn.k_proj", List.of(Role.K));
        PATHS.put("self_attn.v_proj", List.of(Role.V));
        PATHS.put("self_attn.o_proj", List.of(Role.O));
        PATHS.put("mlp.gate_proj", List.of(Role.GATE));
        PATHS.put("mlp.up_proj", List.of(Role.UP));
        PATHS.put("mlp.down_proj", List.of(Role.DOWN));
        PATHS.put("attn.c_attn", List.of(Role.Q, Role.K, Role.V));
        PATHS.put("attn.c_proj", List.of(Role.O));
        PATHS.put("mlp.c_fc", List.of(Role.UP));
        PATHS.put("mlp.c_proj", List.of(Role.DOWN));
    }

    /** The last names of the modules Tailor maps ({@code query}, {@code q_proj}, {@code c_attn}, ...). */
    static final List<String> KNOWN_LEAVES = PATHS.keySet().stream().map(p -> p.substring(p.lastIndexOf('.') + 1))
            .distinct().toList();

    final Path file;
    final int rank;
    final double alpha;
    final boolean rslora;
    final boolean fanInFanOut;
    final List<Module> modules;

    private PeftAdapter(Path file, int rank, double alpha, boolean rslora, boolean fanInFanOut, List<Module> modules) {
        this.file = file;
        this.rank = rank;
        this.alpha = alpha;
        this.rslora = rslora;
        this.fanInFanOut = fanInFanOut;
        this.modules = modules;
    }

    /** PEFT's scale: {@code lora_alpha / r}, or {@code lora_alpha / sqrt(r)} with rank-stabilized LoRA. */
    double scale() {
        return Lora.scale(alpha, rank, rslora);
    }

    /**
     * Reads {@code path}: an {@code adapter_model.safetensors}, or the folder holding it; the config must lie beside
     * it. Every tensor must be a LoRA A or B of a module that the config's {@code target_modules} names and that
     * Tailor can map; A and B must agree on the rank.
     */
    static PeftAdapter read(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("adapter_model.safetensors") : path;
        Path configFile = file.toAbsolutePath().getParent().resolve("adapter_config.json");
        Map<?, ?> config = config(configFile);
        int rank = (int) number(config, "r", configFile);
        double alpha = number(config, "lora_alpha", configFile);
        boolean rslora = Boolean.TRUE.equals(config.get("use_rslora"));
        boolean fanInFanOut = Boolean.TRUE.equals(config.get("fan_in_fan_out"));
        for (String pattern : List.of("rank_pattern", "alpha_pattern"))
            if (config.get(pattern) instanceof Map<?, ?> m && !m.isEmpty())
                throw new PassException("lora", configFile + ": " + pattern + " (per-module ranks or alphas) is not "
                        + "supported; give every module the same r and lora_alpha");
        Object targets = config.get("target_modules");
        checkTargets(targets, configFile);

        SafeTensors st;
        try {
            st = SafeTensors.read(file);
        } catch (ModelFormatException e) {
            throw new PassException("lora", e.getMessage(), e);
        }
        Map<String, Tensor[]> pairs = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : st.tensors().entrySet()) {
            Matcher k = KEY.matcher(e.getKey());
            if (!k.matches())
                throw error(file, e.getKey(), "is not a LoRA matrix (expected <module>.lora_A.weight or "
                        + "<module>.lora_B.weight; only LoRA adapters with bias='none' are supported)");
            String module = k.group(1).startsWith("base_model.model.") ? k.group(1).substring(17) : k.group(1);
            pairs.computeIfAbsent(module, x -> new Tensor[2])[k.group(2).equals("A") ? 0 : 1] = e.getValue();
        }
        List<Module> modules = new ArrayList<>();
        for (Map.Entry<String, Tensor[]> e : pairs.entrySet()) {
            String name = e.getKey();
            Tensor a = e.getValue()[0];
            Tensor b = e.getValue()[1];
            if (a == null || b == null)
                throw error(file, (a == null ? b : a).name(), "has no lora_" + (a == null ? "A" : "B") + " partner");
            if (!targeted(name, targets))
                throw error(file, a.name(), "belongs to module '" + name + "', which adapter_config.json's "
                        + "target_modules " + targets + " does not name");
            Matcher m = LAYER.matcher(name);
            List<Role> roles = m.matches() ? PATHS.get(m.group(2)) : null;
            if (roles == null)
                throw error(file, a.name(), "module '" + name + "' is not one Tailor can place: expected "
                        + "<...>.layer(s)|h.<index>.<path> with path one of " + PATHS.keySet());
            if (!Floats.decodable(a.dataType()) || !Floats.decodable(b.dataType()))
                throw error(file, a.name(), "A and B must be F32, F16, BF16 or F64, not " + a.dataType() + " and "
                        + b.dataType());
            if (a.rank() != 2 || b.rank() != 2 || a.dims()[0] != rank || b.dims()[1] != rank)
                throw error(file, a.name(), "rank mismatch: A is " + shape(a) + " and B is " + shape(b)
                        + ", but adapter_config.json says r=" + rank + " (A must be [r, in], B [out, r])");
            modules.add(new Module(name, Integer.parseInt(m.group(1)), roles, a, b));
        }
        if (modules.isEmpty()) throw new PassException("lora", file + ": holds no LoRA matrices");
        return new PeftAdapter(file, rank, alpha, rslora, fanInFanOut, modules);
    }

    static PassException error(Path file, String tensor, String problem) {
        return new PassException("lora", file + ": tensor '" + tensor + "' " + problem);
    }

    static String shape(Tensor t) {
        return java.util.Arrays.toString(t.dims());
    }

    private static Map<?, ?> config(Path configFile) {
        String text;
        try {
            text = Files.readString(configFile);
        } catch (IOException e) {
            throw new PassException("lora", configFile + ": cannot read the adapter's config (PEFT writes "
                    + "adapter_config.json beside adapter_model.safetensors): " + e.getMessage());
        }
        try {
            if (Json.parse(text) instanceof Map<?, ?> m) {
                Object type = m.get("peft_type");
                if (type != null && !"LORA".equals(type))
                    throw new PassException("lora", configFile + ": peft_type is " + type + ", not LORA");
                return m;
            }
        } catch (IllegalArgumentException e) {
            throw new PassException("lora", configFile + ": " + e.getMessage());
        }
        throw new PassException("lora", configFile + ": expected a JSON object");
    }

    private static double number(Map<?, ?> config, String key, Path configFile) {
        if (config.get(key) instanceof Number n && n.doubleValue() > 0) return n.doubleValue();
        throw new PassException("lora", configFile + ": '" + key + "' must be a positive number, not "
                + config.get(key));
    }

    /** Each listed target must be a module Tailor maps (a regex string is checked module by module instead). */
    private static void checkTargets(Object targets, Path configFile) {
        if (targets instanceof String) return;
        if (!(targets instanceof List<?> list))
            throw new PassException("lora", configFile + ": target_modules must be a list of module names or a "
                    + "regular expression, not " + targets);
        for (Object t : list) {
            String s = String.valueOf(t);
            String leaf = s.substring(s.lastIndexOf('.') + 1);
            if (!KNOWN_LEAVES.contains(leaf))
                throw new PassException("lora", configFile + ": target module '" + s + "' is not one Tailor can "
                        + "map onto the anatomy (known: " + String.join(", ", KNOWN_LEAVES) + ")");
        }
    }

    /** PEFT's rule: a list entry names a module exactly or as its last dotted part(s); a string is a regex. */
    private static boolean targeted(String module, Object targets) {
        if (targets instanceof String regex) return Pattern.matches(regex, module);
        for (Object t : (List<?>) targets) {
            String s = String.valueOf(t);
            if (module.equals(s) || module.endsWith("." + s)) return true;
        }
        return false;
    }
}
