package dev.tailor.compiler.anatomy;

/**
 * What a feed-forward sublayer is made of.
 *
 * @param hidden      the intermediate width (columns of up, and of gate when gated)
 * @param activation  {@code relu}, {@code gelu_erf}, {@code gelu_tanh}, {@code silu}, {@code quick_gelu},
 *                    {@code sigmoid}, another lower-case operator name, {@code none}, or
 *                    {@code unknown(…)} with the operators found
 * @param gated       true for a gated FFN: {@code down(act(gate(x)) * up(x))}
 * @param op          the fused activation operator ({@code FastGelu}, {@code BiasGelu}, …), or null
 */
public record Ffn(long hidden, String activation, boolean gated, String op) {

    /** The activation with the gating: {@code swiglu}, {@code geglu}, {@code reglu}, or the activation. */
    public String describe() {
        if (!gated) return activation;
        return switch (activation) {
            case "silu" -> "swiglu";
            case "gelu_erf", "gelu_tanh" -> "geglu";
            case "relu" -> "reglu";
            default -> "gated " + activation;
        };
    }
}
