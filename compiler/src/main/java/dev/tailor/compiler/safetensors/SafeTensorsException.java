package dev.tailor.compiler.safetensors;

import dev.tailor.compiler.onnx.ModelFormatException;
import java.nio.file.Path;

/** A safetensors file that cannot be read or written: the message names the file, the tensor and the problem. */
public final class SafeTensorsException extends ModelFormatException {
    public SafeTensorsException(Path file, String tensor, String problem) {
        super(file, tensor == null ? null : "tensor '" + tensor + "'", problem);
    }

    public SafeTensorsException(Path file, String tensor, String problem, Throwable cause) {
        super(file, tensor == null ? null : "tensor '" + tensor + "'", problem, cause);
    }
}
