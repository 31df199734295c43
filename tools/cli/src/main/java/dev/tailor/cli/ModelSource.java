package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.text.TextReader;
import dev.tailor.testdata.ModelZoo;
import java.nio.file.Path;
import java.util.Locale;

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
            throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "no bundled model '" + spec + "'; bundled models: @"
                    + String.join(", @", ModelZoo.names()));
        return m.model();
    }

    Model read() {
        Path p = path();
        return isText(p) ? TextReader.read(p) : OnnxReader.read(p);
    }

    /** Whether a model file is ONNX text: its name ends in {@code .onnxtxt}. */
    static boolean isText(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".onnxtxt");
    }
}
