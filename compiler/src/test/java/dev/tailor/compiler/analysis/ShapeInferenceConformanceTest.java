package dev.tailor.compiler.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Shape inference against onnx 1.12's ({@code onnx.shape_inference.infer_shapes}, data propagation on) on every
 * conformance model, output by output, with the file's value_info and output types removed first: element type,
 * rank and every dimension both sides know must agree (symbolic names may differ). Also against the output types
 * the conformance files declare, which describe the reference outputs.
 */
class ShapeInferenceConformanceTest {

    /** Outputs where Tailor and onnx 1.12 know different things, and why (model path → reason). */
    static final Map<String, String> EXPECTED_CONFLICTS = Map.of();

    record Ref(int elem, String dims) {}

    @Test
    void agreesWithOnnxShapeInference() throws Exception {
        Map<String, Map<String, Ref>> onnx = new HashMap<>();
        for (String line : OnnxReference.run("infer")) {
            String[] f = line.split("\t", 4);
            if (f[1].equals("!error")) continue;
            onnx.computeIfAbsent(f[0], k -> new HashMap<>()).put(f[1], new Ref(Integer.parseInt(f[2]), f[3]));
        }
        int compared = 0;
        int agree = 0;
        int tailorMore = 0;
        int onnxMore = 0;
        int onnxOnly = 0;
        int tailorOnly = 0;
        int neither = 0;
        int declaredChecked = 0;
        Map<String, String> conflicts = new TreeMap<>();
        Map<String, Integer> behind = new TreeMap<>();
        Map<String, String> declaredConflicts = new TreeMap<>();
        for (Path p : OnnxReference.models()) {
            String rel = OnnxReference.DATA.relativize(p).toString();
            Model m = OnnxReader.read(p);
            Map<Value, Type> declared = new HashMap<>();
            for (Value v : m.graph().outputs()) if (v.producer() != null) declared.put(v, v.type());
            clearNodeOutputTypes(m.graph());
            ShapeInference.Result r = ShapeInference.analyze(m);
            Map<String, Ref> theirs = onnx.getOrDefault(rel, Map.of());
            for (Node n : m.graph().nodes()) {
                for (Value out : n.outputs()) {
                    if (out == null) continue;
                    Type ours = r.type(out);
                    Ref ref = theirs.get(out.name());
                    boolean oursKnown = ours instanceof Type.Tensor;
                    if (ref == null && !oursKnown) {
                        neither++;
                        continue;
                    }
                    if (ref == null) {
                        tailorOnly++;
                        continue;
                    }
                    if (!oursKnown) {
                        behind.merge(n.opType(), 1, Integer::sum);
                        onnxOnly++;
                        continue;
                    }
                    compared++;
                    String cmp = compare((Type.Tensor) ours, ref);
                    switch (cmp) {
                        case "agree" -> agree++;
                        case "tailor-more" -> tailorMore++;
                        case "onnx-more" -> {
                            onnxMore++;
                            behind.merge(n.opType(), 1, Integer::sum);
                        }
                        case "mixed" -> {
                            tailorMore++;
                            onnxMore++;
                            behind.merge(n.opType(), 1, Integer::sum);
                        }
                        default -> conflicts.merge(rel, out.name() + ": " + cmp, (a, b) -> a + "; " + b);
                    }
                }
            }
            for (Map.Entry<Value, Type> e : declared.entrySet()) {
                if (!(e.getValue() instanceof Type.Tensor want) || !(r.type(e.getKey()) instanceof Type.Tensor got)) continue;
                declaredChecked++;
                String c = contradiction(got, want);
                if (c != null) declaredConflicts.merge(rel, e.getKey().name() + ": " + c, (a, b) -> a + "; " + b);
            }
        }
        System.out.printf("shape inference vs onnx 1.12: %d outputs compared: %d agree, %d where Tailor knows more, "
                        + "%d where onnx knows more, %d conflicts; %d typed by onnx only, %d by Tailor only, %d by neither%n",
                compared, agree, tailorMore, onnxMore, conflicts.size(), onnxOnly, tailorOnly, neither);
        System.out.printf("shape inference vs declared outputs: %d checked, %d conflicts%n", declaredChecked,
                declaredConflicts.size());
        conflicts.forEach((k, v) -> System.out.println("  conflict " + k + ": " + v));
        declaredConflicts.forEach((k, v) -> System.out.println("  declared " + k + ": " + v));
        System.out.println("  operators where onnx knows more (outputs): " + behind);
        Map<String, String> unexpected = new TreeMap<>(conflicts);
        unexpected.keySet().removeAll(EXPECTED_CONFLICTS.keySet());
        assertEquals(Map.of(), unexpected);
        assertEquals(Map.of(), declaredConflicts);
        // Measured with onnx 1.12: 2,311 of 2,545 agree exactly, Tailor knows more on 167 (symbolic dims through
        // shape computations, dims onnx leaves open) and onnx more on 67, all on operators outside the transformer set
        // (training losses, Unique, NonMaxSuppression, string operators, sequences).
        assertTrue(compared >= 2500, "outputs compared: " + compared);
        assertTrue(agree >= 2300, "outputs in agreement: " + agree);
        assertTrue(onnxMore <= 70, "outputs where onnx knows more: " + onnxMore + " " + behind);
        assertTrue(onnxOnly <= 50, "outputs only onnx types: " + onnxOnly);
    }

    static void clearNodeOutputTypes(Graph g) {
        for (Node n : g.nodes()) {
            for (Value v : n.outputs()) if (v != null) v.setType(null);
            for (Graph sub : n.subgraphs()) clearNodeOutputTypes(sub);
        }
    }

    /** agree, tailor-more, onnx-more, mixed, or a description of the conflict. */
    static String compare(Type.Tensor ours, Ref ref) {
        DataType theirElem = ref.elem() == 0 ? null : DataType.fromCode(ref.elem());
        if (ours.elementType() != null && theirElem != null && ours.elementType() != theirElem)
            return "element type " + ours.elementType() + " vs onnx " + theirElem;
        boolean more = ours.elementType() != null && theirElem == null;
        boolean less = ours.elementType() == null && theirElem != null;
        Shape s = ours.shape();
        if (ref.dims().equals("-")) {
            more |= s != null;
        } else if (s == null) {
            less = true;
        } else {
            String[] d = ref.dims().isEmpty() ? new String[0] : ref.dims().split(",");
            if (d.length != s.rank()) return "shape " + s + " vs onnx [" + ref.dims() + "]";
            for (int i = 0; i < d.length; i++) {
                Dim a = s.dim(i);
                // onnx names dims it cannot compute unk__N: those are unknown, not symbols of the model
                String b = d[i].startsWith("$unk__") ? "?" : d[i];
                boolean bKnown = !b.equals("?") && !b.startsWith("$");
                if (a.isKnown() && bKnown) {
                    if (a.value() != Long.parseLong(b)) return "shape " + s + " vs onnx [" + ref.dims() + "]";
                } else if (a.isKnown()) more = true;
                else if (bKnown) less = true;
                else if (a.isSymbolic() && b.equals("?")) more = true;
                else if (!a.isSymbolic() && b.startsWith("$")) less = true;
            }
        }
        return more && less ? "mixed" : more ? "tailor-more" : less ? "onnx-more" : "agree";
    }

    /** Where an inferred type contradicts a declared one (both known and different), else null. */
    static String contradiction(Type.Tensor got, Type.Tensor want) {
        if (got.elementType() != null && want.elementType() != null && got.elementType() != want.elementType())
            return "inferred " + got.elementType() + ", declared " + want.elementType();
        if (got.shape() == null || want.shape() == null) return null;
        if (got.shape().rank() != want.shape().rank()) return "inferred " + got.shape() + ", declared " + want.shape();
        for (int i = 0; i < got.shape().rank(); i++) {
            Dim a = got.shape().dim(i);
            Dim b = want.shape().dim(i);
            if (a.isKnown() && b.isKnown() && a.value() != b.value())
                return "inferred " + got.shape() + ", declared " + want.shape();
        }
        return null;
    }
}
