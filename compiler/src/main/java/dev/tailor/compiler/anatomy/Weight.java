package dev.tailor.compiler.anatomy;

/**
 * A weight by role: the projection matrix (or the part of a fused one this role owns) and its bias, if any.
 *
 * @param id     printable id, such as {@code b3.attn.q}
 * @param matrix the matrix; its {@link Param#featureAxis()} is the output axis
 * @param bias   the bias vector (or the part of a packed one), or null
 * @param in     input features
 * @param out    output features this role produces
 */
public record Weight(String id, Role role, Param matrix, Param bias, long in, long out) {

    /** True when the role is a part of a tensor other roles share (fused QKV, packed gate/up). */
    public boolean fused() {
        return matrix.isPart();
    }

    /** Elements of the matrix part and the bias part. */
    public long parameterCount() {
        return matrix.elementCount() + (bias == null ? 0 : bias.elementCount());
    }

    Weight withId(String newId) {
        return new Weight(newId, role, matrix, bias, in, out);
    }

    @Override
    public String toString() {
        return id + " " + matrix + (bias != null ? " + " + bias : "") + " (" + in + "->" + out + ")";
    }
}
