package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.ModelFiles;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Path;

/**
 * A model argument: a file path, or {@code @name} for a model bundled with Tailor (such as {@code @minilm},
 * all-MiniLM-L6-v2 from Maven Central). A file ending in {@code .onnxtxt} is read as ONNX text, any other as
 * binary ONNX.
 */
record ModelSource(String spec) {

    Path path() {
        if (!spec.startsWith("@")) return Path.of(spec);
        ModelZoo m = ModelZoo.byName(spec.substring(1));
        if (m == null)
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "no bundled model '" + spec + "'",
                    "bundled models: @" + String.join(", @", ModelZoo.names()));
        return m.model();
    }

    Model read() {
        return ModelFiles.read(path());
    }
}
