package dev.tailor.compiler.onnx;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.text.TextReader;
import java.nio.file.Path;
import java.util.Locale;

/** Model files by extension: {@code .onnxtxt} is ONNX text, any other name binary ONNX. */
public final class ModelFiles {
    private ModelFiles() {}

    /** Reads {@code file} as text or binary ONNX, as its name says. */
    public static Model read(Path file) {
        return isText(file) ? TextReader.read(file) : OnnxReader.read(file);
    }

    /** Whether a model file is ONNX text: its name ends in {@code .onnxtxt}. */
    public static boolean isText(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".onnxtxt");
    }
}
