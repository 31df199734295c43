package dev.tailor.compiler.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class VerifierTest {

    static Model mlp() {
        GraphBuilder b = new GraphBuilder("mlp");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", 2));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {2, 2}, 1, 2, 3, 4));
        b.output(b.op("Relu", b.op("MatMul", x, w)));
        return Model.of(b.build(), 17);
    }

    private static List<String> rules(Model m) {
        return Verifier.verify(m).stream().map(Diagnostic::rule).toList();
    }

    @Test
    void aWellFormedModelHasNoProblems() {
        assertEquals(List.of(), Verifier.verify(mlp()));
    }

    @Test
    void findsAUseOfAValueComputedLater() {
        Model m = mlp();
        Node relu = m.graph().lastNode();
        Node matmul = m.graph().firstNode();
        // Make MatMul read Relu's output: a cycle in the data flow.
        matmul.setInput(0, relu.output(0));
        assertTrue(rules(m).contains("use-before-definition"), Verifier.verify(m).toString());
    }

    @Test
    void findsAMissingOpset() {
        Model m = mlp();
        m.graph().append(new Node("com.microsoft", "FastGelu", List.of(m.graph().inputs().get(0)), List.of("g")));
        List<Diagnostic> d = Verifier.verify(m);
        assertEquals(List.of("missing-opset"), d.stream().map(Diagnostic::rule).toList());
        assertTrue(d.get(0).message().contains("'com.microsoft'"), d.toString());
    }

    @Test
    void findsAnUndefinedOutputAndADanglingValue() {
        Model m = mlp();
        m.graph().addOutput(new Value("ghost"));
        m.graph().firstNode().addInput(new Value("nowhere"));
        List<String> r = rules(m);
        assertTrue(r.contains("undefined-output"), r.toString());
        assertTrue(r.contains("use-before-definition"), r.toString());
    }

    @Test
    void everyConformanceModelIsStructurallyWellFormed() throws Exception {
        List<String> failures = new ArrayList<>();
        Path data = Path.of("/usr/share/libonnx-testdata/data");
        int count = 0;
        for (String suite : List.of("node", "simple", "pytorch-converted", "pytorch-operator")) {
            try (Stream<Path> s = Files.walk(data.resolve(suite))) {
                for (Path p : s.filter(f -> f.getFileName().toString().equals("model.onnx")).toList()) {
                    count++;
                    List<Diagnostic> d = Verifier.verify(OnnxReader.read(p));
                    if (!d.isEmpty()) failures.add(data.relativize(p) + ": " + d);
                }
            }
        }
        assertEquals(1072, count);
        assertEquals(List.of(), failures);
    }
}
