package dev.tailor.runtime;

import java.util.Locale;

/** Where ONNX Runtime runs a model: {@code auto} tries CUDA and falls back to the CPU, saying why. */
public enum ExecutionProvider {
    AUTO, CPU, CUDA;

    public static ExecutionProvider parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("execution provider must be auto, cpu or cuda, got '" + s + "'");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
