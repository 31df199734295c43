package dev.tailor.passes.adapter;

import dev.tailor.compiler.ir.Value;
import dev.tailor.passes.graft.Graft;

/** The adapter's nonlinearity, written with ops every opset since 9 has (the models' own exports use these forms). */
public enum Activation {
    RELU, GELU, SILU;

    /** Appends the activation of {@code x} at the cursor and returns its output. */
    Value apply(Graft graft, Graft.Cursor c, String prefix, Value x) {
        return switch (this) {
            case RELU -> c.op(prefix, "Relu", x);
            // x * 0.5 * (1 + erf(x / sqrt(2))): the exact GELU, as PyTorch exports it
            case GELU -> c.op(prefix, "Mul", c.op(prefix, "Mul", x, graft.scalar(prefix + ".half", 0.5f)),
                    c.op(prefix, "Add", graft.scalar(prefix + ".one", 1f), c.op(prefix, "Erf",
                            c.op(prefix, "Div", x, graft.scalar(prefix + ".sqrt2", (float) Math.sqrt(2))))));
            case SILU -> c.op(prefix, "Mul", x, c.op(prefix, "Sigmoid", x));
        };
    }
}
