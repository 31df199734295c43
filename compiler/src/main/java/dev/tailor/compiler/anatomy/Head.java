package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;

/**
 * A projection after the last block: a language-model head or a classifier.
 *
 * @param kind   {@code lm_head} when its output width is the token vocabulary, else {@code classifier}
 * @param weight the projection matrix
 * @param bias   its bias, or null
 * @param out    output features
 * @param tied   TRUE when the matrix holds the token embedding's values (the same tensor, or a transposed copy),
 *               FALSE when it does not, null when not compared (no token embedding, or too large to compare)
 * @param node   the projection node
 */
public record Head(String kind, Param weight, Param bias, long out, Boolean tied, Node node) {
    @Override
    public String toString() {
        return kind + " " + weight + (Boolean.TRUE.equals(tied) ? " (tied)" : "");
    }
}
