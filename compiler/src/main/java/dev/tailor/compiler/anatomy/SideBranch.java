package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;
import java.util.List;

/**
 * A bottleneck that rides on a sublayer: a LoRA update of one of its projections (down to {@code width}
 * features and straight back up) or a bottleneck adapter (down, a nonlinearity, up), joined by an {@code Add}.
 * Anatomy reads the sublayer through it and lists it here.
 *
 * @param kind       {@code lora} or {@code adapter}
 * @param target     for a LoRA update, the roles of the projection it updates ({@code q}, {@code qkv} for a fused one); otherwise null
 * @param width      the bottleneck: LoRA's rank, an adapter's size
 * @param parameters elements of its weights and biases
 * @param join       the {@code Add} that puts it on the sublayer
 * @param nodes      its nodes, from the join back to the down projection
 */
public record SideBranch(String kind, String target, long width, long parameters, Node join, List<Node> nodes) {
    /** {@code lora(q r8)}, {@code adapter(24)}. */
    public String describe() {
        return kind + "(" + (target != null ? target + " " : "") + (kind.equals("lora") ? "r" : "") + width + ")";
    }

    SideBranch on(String role) {
        return new SideBranch(kind, role, width, parameters, join, nodes);
    }
}
