package dev.tailor.compiler.onnx;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/** Finds where two protobuf messages first differ, as a field path, for readable test failures. */
public final class ProtoDiff {
    private ProtoDiff() {}

    /** The path and values of the first difference, or null if the messages are equal. */
    public static String firstDifference(Message a, Message b) {
        return diff(a, b, "");
    }

    private static String diff(Message a, Message b, String path) {
        if (a.equals(b)) return null;
        TreeSet<FieldDescriptor> fields = new TreeSet<>((x, y) -> Integer.compare(x.getNumber(), y.getNumber()));
        Map<FieldDescriptor, Object> fa = a.getAllFields();
        Map<FieldDescriptor, Object> fb = b.getAllFields();
        fields.addAll(fa.keySet());
        fields.addAll(fb.keySet());
        for (FieldDescriptor f : fields) {
            Object va = fa.get(f);
            Object vb = fb.get(f);
            String p = path + "." + f.getName();
            if (va == null || vb == null) {
                if (!Objects.equals(va, vb)) return p + ": present only in " + (va == null ? "second" : "first");
                continue;
            }
            if (f.isRepeated()) {
                List<?> la = (List<?>) va;
                List<?> lb = (List<?>) vb;
                if (la.size() != lb.size()) return p + ": " + la.size() + " vs " + lb.size() + " entries";
                for (int i = 0; i < la.size(); i++) {
                    String d = element(la.get(i), lb.get(i), p + "[" + i + "]");
                    if (d != null) return d;
                }
            } else {
                String d = element(va, vb, p);
                if (d != null) return d;
            }
        }
        if (!a.getUnknownFields().equals(b.getUnknownFields())) return path + ": unknown fields differ";
        return path + ": differ (equal field by field?)";
    }

    private static String element(Object a, Object b, String path) {
        if (a instanceof Message ma && b instanceof Message mb) return diff(ma, mb, path);
        if (Objects.equals(a, b)) return null;
        String sa = String.valueOf(a);
        String sb = String.valueOf(b);
        return path + ": " + (sa.length() > 80 ? sa.substring(0, 80) + "..." : sa) + " vs "
                + (sb.length() > 80 ? sb.substring(0, 80) + "..." : sb);
    }
}
