package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;

/**
 * Something anatomy could not place, with the condition that failed. {@code node} is null for findings about the
 * whole model (such as "no residual connection").
 */
public record Unplaced(Node node, String condition) {
    @Override
    public String toString() {
        return node == null ? condition : node + ": " + condition;
    }
}
