package dev.tailor.maven;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.ModelFiles;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.maven.plugin.MojoFailureException;

/**
 * A model parameter, checked: a file ({@code .onnx} with its external data beside it, or {@code .onnxtxt}),
 * relative to the project folder, or {@code @name} for a model bundled with Tailor ({@code @minilm}), which also
 * brings its tokenizer.
 */
record ModelArgument(String spec, Path file, ModelZoo bundled) {

    /** Resolves {@code spec} for parameter {@code name}; fails with the parameter's name when there is no model. */
    static ModelArgument resolve(String name, String spec, Path basedir) throws MojoFailureException {
        if (spec == null || spec.isBlank())
            throw UserErrors.parameter(name, "no model given", "set it to an .onnx file or a bundled model (@"
                    + String.join(", @", ModelZoo.names()) + ")");
        String s = spec.strip();
        if (s.startsWith("@")) {
            ModelZoo m = ModelZoo.byName(s.substring(1));
            if (m == null)
                throw UserErrors.parameter(name, "no bundled model '" + s + "'", "bundled models are @"
                        + String.join(", @", ModelZoo.names()));
            return new ModelArgument(s, m.model(), m);
        }
        Path p = basedir.resolve(s).normalize();
        if (!Files.isRegularFile(p))
            throw UserErrors.parameter(name, "'" + s + "': no such model file (looked for " + p + ")",
                    "give the path of an .onnx file, relative to the project folder, or a bundled model (@"
                            + String.join(", @", ModelZoo.names()) + ")");
        return new ModelArgument(s, p, null);
    }

    Model read() {
        return ModelFiles.read(file);
    }

    /** The bundled model's tokenizer, or null for a model file. */
    Path tokenizer() {
        return bundled == null ? null : bundled.tokenizer();
    }

    @Override
    public String toString() {
        return spec;
    }
}
