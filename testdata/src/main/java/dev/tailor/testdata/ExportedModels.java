package dev.tailor.testdata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Small models exported by PyTorch ({@code testdata/scripts/export_models.py}), one per architecture family, with
 * {@code manifest.json} recording each model's facts (layers, heads, hidden sizes, norms) from its definition.
 */
public final class ExportedModels {
    private static final String FOLDER = "dev/tailor/testdata/models/";

    /** Every exported model's name (file name without {@code .onnx}). */
    public static final List<String> NAMES = List.of("bert_tiny", "gpt2_tiny", "llama_tiny", "llama_tiny_kv",
            "vit_tiny", "torch_encoder_postln", "torch_encoder_preln", "t5_tiny", "cnn_small");

    private ExportedModels() {}

    /** The model file called {@code name}, extracted from the class path on first use. */
    public static Path file(String name) {
        if (!NAMES.contains(name))
            throw new IllegalArgumentException("no exported model '" + name + "'; there are " + NAMES);
        return ModelZoo.extract(FOLDER + name + ".onnx");
    }

    /** The manifest's JSON text. */
    public static String manifest() {
        try (InputStream in = ExportedModels.class.getClassLoader().getResourceAsStream(FOLDER + "manifest.json")) {
            if (in == null) throw new IllegalStateException("manifest.json is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
