package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.Set;

/**
 * A normalization on the residual stream, fused into one operator or written out.
 *
 * @param op       the fused operator ({@code LayerNormalization}, {@code SkipSimplifiedLayerNormalization}, …), or
 *                 null when the norm is written out (ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add)
 * @param input    the value normalized; null for a Skip*LayerNormalization whose sum is not an output
 * @param output   the normalized value
 * @param gain     the scale (gamma), or null
 * @param bias     the shift (beta), or null
 * @param epsilon  the epsilon, or null when it is not a constant
 * @param nodes    the nodes that compute it (one for a fused norm)
 */
public record Norm(Kind kind, Placement placement, String op, Value input, Value output, Param gain, Param bias,
                   Double epsilon, Set<Node> nodes) {

    public enum Kind {
        /** Subtracts the mean, divides by the standard deviation. */
        LAYER_NORM("layernorm", "LayerNorm"),
        /** Divides by the root mean square (RMSNorm, T5LayerNorm, SimplifiedLayerNormalization). */
        RMS_NORM("rmsnorm", "RMSNorm");

        private final String id;
        private final String display;

        Kind(String id, String display) {
            this.id = id;
            this.display = display;
        }

        public String id() {
            return id;
        }

        public String display() {
            return display;
        }
    }

    public enum Placement {
        /** On the branch input: {@code x + f(norm(x))}. */
        PRE("pre"),
        /** On the stream after the residual add: {@code norm(x + f(x))}. */
        POST("post"),
        /** On the embeddings, before the first block. */
        EMBEDDING("embedding"),
        /** On the stream after the last block. */
        FINAL("final");

        private final String id;

        Placement(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    public boolean fused() {
        return op != null;
    }

    Norm at(Placement p) {
        return new Norm(kind, p, op, input, output, gain, bias, epsilon, nodes);
    }

    /** Elements of the gain and the bias. */
    public long parameterCount() {
        return (gain == null ? 0 : gain.elementCount()) + (bias == null ? 0 : bias.elementCount());
    }

    /** {@code LayerNorm}, {@code RMSNorm (SkipSimplifiedLayerNormalization)}, … */
    public String describe() {
        return kind.display() + (op != null ? " (" + op + ")" : " (unfused)");
    }

    @Override
    public String toString() {
        return placement.id() + " " + describe();
    }
}
