package dev.tailor.passes.cleanup;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Value equality of attributes (graphs compare by identity: two subgraphs are never assumed equal). */
final class AttributeValues {
    private AttributeValues() {}

    static boolean equal(Attribute a, Attribute b) {
        if (a.kind() != b.kind() || !Objects.equals(a.refAttrName(), b.refAttrName())) return false;
        return equalValues(a.value(), b.value());
    }

    private static boolean equalValues(Object x, Object y) {
        if (x == y) return true;
        if (x == null || y == null) return false;
        if (x instanceof long[] p && y instanceof long[] q) return Arrays.equals(p, q);
        if (x instanceof float[] p && y instanceof float[] q) return Arrays.equals(p, q);
        if (x instanceof byte[] p && y instanceof byte[] q) return Arrays.equals(p, q);
        if (x instanceof Float p && y instanceof Float q) return Float.floatToIntBits(p) == Float.floatToIntBits(q);
        if (x instanceof Tensor p && y instanceof Tensor q) return equalTensors(p, q);
        if (x instanceof List<?> p && y instanceof List<?> q) {
            if (p.size() != q.size()) return false;
            for (int i = 0; i < p.size(); i++) if (!equalValues(p.get(i), q.get(i))) return false;
            return true;
        }
        if (x instanceof dev.tailor.compiler.ir.Graph) return false;
        return x.equals(y);
    }

    private static boolean equalTensors(Tensor p, Tensor q) {
        if (p.rawDataType() != q.rawDataType() || !Arrays.equals(p.dims(), q.dims())) return false;
        if (p.data() == null || q.data() == null) return p.data() == null && q.data() == null
                && p.dataType() == dev.tailor.compiler.ir.DataType.STRING && p.strings().equals(q.strings());
        return p.bytes().equals(q.bytes());
    }
}
