package dev.tailor.passes.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Function;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class CleanupPassesTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());

    static List<PassReport> run(Model m, String pipeline) {
        return PassManager.fromSystemProperties().run(m, PARSER.parse(pipeline), PassContext.basic());
    }

    static List<String> ops(Graph g) {
        return g.nodeList().stream().map(Node::opType).toList();
    }

    @Test
    void theRegistryFindsTheCleanupPasses() {
        PassRegistry r = PassRegistry.load();
        assertNotNull(r.get("dce"));
        assertNotNull(r.get("cse"));
        assertNotNull(r.get("identity"));
    }

    @Test
    void deadCodeGoesNodesInitializersFunctionsAndOpsets() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 2));
        Value unusedW = b.initializer(Tensor.ofFloats("unused", new long[] {2}, 1, 2));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {2}, 3, 4));
        Value dead = b.op("Mul", x, unusedW);
        b.op("Relu", dead); // a dead chain of two
        b.node("com.microsoft", "FastGelu", List.of(x), 1); // dead, and the only user of com.microsoft
        b.output(b.op("Add", x, w));
        Model m = Model.of(b.build(), 17);
        m.opsets().add(new OpsetImport("com.microsoft", 1L));
        m.functions().add(new Function("local", "Unused", new Graph(null)));
        List<PassReport> r = run(m, "dce");
        assertEquals(List.of("Add"), ops(m.graph()));
        assertEquals(List.of("w"), m.graph().initializers().stream().map(Value::name).toList());
        assertEquals(List.of(""), m.opsets().stream().map(OpsetImport::domainName).toList());
        assertEquals(0, m.functions().size());
        assertEquals(3, r.get(0).result().metrics().get("nodes_removed"));
        assertEquals(1, r.get(0).result().metrics().get("initializers_removed"));
        assertTrue(r.get(0).result().isModified());
        assertTrue(!run(m, "dce").get(0).result().isModified(), "a second run finds nothing");
    }

    @Test
    void identityEliminationKeepsOutputNames() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 2, 3));
        Value r = b.op("Relu", x);
        Value i1 = b.op("Identity", r);
        Value t = b.op("Transpose", List.of(i1), Attribute.ofInts("perm", 0, 1));
        Value d = b.op("Dropout", t);
        Value y = b.op("Identity", d);
        b.output(y);
        Model m = Model.of(b.build(), 17);
        String outName = y.name();
        run(m, "identity");
        assertEquals(List.of("Relu"), ops(m.graph()));
        assertEquals(outName, m.graph().outputs().get(0).name(), "the graph output keeps its name");
        assertEquals(m.graph().firstNode().output(0), m.graph().outputs().get(0));
    }

    @Test
    void anIdentityBetweenInputAndOutputStays() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 2));
        b.output(b.op("Identity", x));
        Model m = Model.of(b.build(), 17);
        run(m, "identity");
        assertEquals(List.of("Identity"), ops(m.graph()), "removing it would rename the output");
    }

    @Test
    void castAndReshapeToWhatTheInputAlreadyIs() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 2, 3));
        Value c = b.op("Cast", List.of(x), Attribute.of("to", (long) DataType.FLOAT.code()));
        Value shape = b.initializer(Tensor.ofLongs("shape", new long[] {2}, 2, 3));
        Value r = b.op("Reshape", c, shape);
        Value keep = b.op("Cast", List.of(r), Attribute.of("to", (long) DataType.FLOAT16.code()));
        b.output(b.op("Neg", keep));
        Model m = Model.of(b.build(), 17);
        run(m, "identity | dce");
        assertEquals(List.of("Cast", "Neg"), ops(m.graph()));
        assertEquals(DataType.FLOAT16.code(), m.graph().firstNode().attribute("to").asInt());
    }

    @Test
    void cseMergesDuplicatesAndDuplicateConstants() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 4));
        Value a1 = b.initializer(Tensor.ofFloats("a1", new long[] {4}, 1, 2, 3, 4));
        Value a2 = b.initializer(Tensor.ofFloats("a2", new long[] {4}, 1, 2, 3, 4));
        Value s1 = b.op("Add", x, a1);
        Value s2 = b.op("Add", x, a2); // same once a1 and a2 merge
        Value t1 = b.op("Softmax", List.of(s1), Attribute.of("axis", -1L));
        Value t2 = b.op("Softmax", List.of(s2), Attribute.of("axis", -1L));
        Value t3 = b.op("Softmax", List.of(s2), Attribute.of("axis", 0L)); // differs in an attribute
        b.output(b.op("Sum", t1, t2, t3));
        Model m = Model.of(b.build(), 17);
        List<PassReport> r = run(m, "cse");
        assertEquals(List.of("Add", "Softmax", "Softmax", "Sum"), ops(m.graph()));
        assertEquals(1, m.graph().initializers().size());
        assertEquals(2, r.get(0).result().metrics().get("nodes_merged"));
        Node sum = m.graph().lastNode();
        assertEquals(sum.input(0), sum.input(1));
    }

    @Test
    void cseLeavesRandomOperatorsAlone() {
        GraphBuilder b = new GraphBuilder("g");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, 4));
        Value r1 = b.op("RandomUniformLike", x);
        Value r2 = b.op("RandomUniformLike", x);
        b.output(b.op("Add", r1, r2));
        Model m = Model.of(b.build(), 17);
        run(m, "cse");
        assertEquals(3, m.graph().nodeCount());
    }
}
