package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;

/** Thrown inside the finder when a residual branch fails a condition; becomes an {@link Unplaced}. */
final class NotPlaced extends RuntimeException {
    final transient Node node;

    NotPlaced(Node node, String condition) {
        super(condition, null, false, false);
        this.node = node;
    }

    Unplaced toUnplaced() {
        return new Unplaced(node, getMessage());
    }
}
