package dev.tailor.compiler.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The verifier against Debian's python3-onnx checker ({@code check_model(full_check=True)}) on every conformance
 * model: where they disagree, the disagreement must be one listed in {@link #EXPECTED} with its reason.
 */
class VerifierConformanceTest {

    /**
     * Models where the verifier and onnx 1.12's checker disagree, and why. None at present: the three models onnx
     * rejects (a Constant-1 producing int64, which that version's T does not allow) are rejected by the verifier
     * too, because inference gives the Constant's output its type.
     */
    static final Map<String, String> EXPECTED = Map.of();

    @Test
    void agreesWithOnnxCheckerOnTheConformanceModels() throws Exception {
        Map<String, String> onnx = new HashMap<>();
        for (String line : OnnxReference.run("check")) {
            String[] f = line.split("\t", 3);
            onnx.put(f[0], f[1].equals("ok") ? null : f[2]);
        }
        int nodes = 0;
        int checked = 0;
        Map<String, String> disagreements = new TreeMap<>();
        List<String> bothReject = new ArrayList<>();
        List<Path> models = OnnxReference.models();
        for (Path p : models) {
            String rel = OnnxReference.DATA.relativize(p).toString();
            Model m = OnnxReader.read(p);
            int[] counts = count(m.graph(), m);
            nodes += counts[0];
            checked += counts[1];
            List<Diagnostic> ours = Verifier.verify(m);
            assertTrue(onnx.containsKey(rel), "no onnx result for " + rel);
            String theirs = onnx.get(rel);
            if (!ours.isEmpty() && theirs != null) bothReject.add(rel + ": " + ours);
            if (ours.isEmpty() != (theirs == null))
                disagreements.put(rel, "tailor: " + (ours.isEmpty() ? "ok" : ours) + " | onnx: " + (theirs == null ? "ok" : theirs));
        }
        System.out.printf("verifier: %d conformance models, %d of %d nodes have a schema; %d disagreements with onnx's checker%n",
                models.size(), checked, nodes, disagreements.size());
        disagreements.forEach((k, v) -> System.out.println("  " + k + ": " + v));
        bothReject.forEach(r -> System.out.println("  rejected by both: " + r));
        assertEquals(3, bothReject.size(), bothReject.toString());
        assertEquals(nodes, checked, "every conformance node's operator has a schema at its model's opset");
        Map<String, String> unexpected = new TreeMap<>(disagreements);
        unexpected.keySet().removeAll(EXPECTED.keySet());
        assertEquals(Map.of(), unexpected);
        List<String> stale = new ArrayList<>(EXPECTED.keySet());
        stale.removeAll(disagreements.keySet());
        assertEquals(List.of(), stale, "expected disagreements that no longer occur");
    }

    private static int[] count(Graph g, Model m) {
        int[] c = new int[2];
        for (Node n : g.nodes()) {
            c[0]++;
            OpSchema schema = OpSchemas.standard().lookup(n.domainName(), n.opType(), m.opsetVersion(n.domainName()));
            if (schema != null && !schema.unchecked()) c[1]++;
            for (Graph sub : n.subgraphs()) {
                int[] s = count(sub, m);
                c[0] += s[0];
                c[1] += s[1];
            }
        }
        return c;
    }
}
