package dev.tailor.compiler.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PassManagerTest {
    private final PipelineParser parser = new PipelineParser(TestPasses.registry());

    static Model reluChain(int n) {
        GraphBuilder b = new GraphBuilder("chain");
        Value v = b.input("x", Type.tensor(DataType.FLOAT, 4));
        for (int i = 0; i < n; i++) v = b.op("Relu", v);
        b.output(b.op("Neg", v));
        return Model.of(b.build(), 17);
    }

    @Test
    void testsVerifyAfterEveryPass() {
        assertTrue(PassManager.fromSystemProperties().verifyEach(), "the build sets tailor.verifyEach for tests");
    }

    @Test
    void fixpointGroupsRunUntilNothingChanges() {
        Model m = reluChain(5);
        List<PassReport> streamed = new ArrayList<>();
        List<PassReport> reports = new PassManager(true).run(m, parser.parse("fixpoint { drop_one_relu } | prune"),
                PassContext.builder().reports(streamed::add).build());
        assertEquals(1, m.graph().nodeCount());
        assertEquals(7, reports.size(), "5 removals, 1 run that changed nothing, then prune");
        assertEquals(reports, streamed);
        assertEquals("prune", reports.get(6).pass());
        assertEquals(0.25, reports.get(6).result().metrics().get("ratio"));
        assertTrue(reports.stream().allMatch(r -> r.nanos() > 0));
    }

    @Test
    void fixpointStopsAtItsLimit() {
        Model m = reluChain(5);
        new PassManager(true).run(m, parser.parse("fixpoint(max=2) { drop_one_relu }"), PassContext.basic());
        assertEquals(4, m.graph().nodeCount());
    }

    @Test
    void aPassThatBreaksTheIrIsNamed() {
        PassException e = assertThrows(PassException.class, () -> new PassManager(true)
                .run(reluChain(1), parser.parse("prune | vandal | prune"), PassContext.basic()));
        assertTrue(e.getMessage().startsWith("pass 'vandal': left the model broken: 1 problem"), e.getMessage());
        assertTrue(e.getMessage().contains("%nowhere"), e.getMessage());
    }

    @Test
    void withoutVerificationTheBreakageGoesUnnoticed() {
        new PassManager(false).run(reluChain(1), parser.parse("vandal"), PassContext.basic());
    }

    @Test
    void passesDeclareTheirOptionsOnce() {
        PassSpec prune = TestPasses.registry().get("prune");
        assertEquals(List.of("ratio", "metric", "blocks", "top_k"), prune.options().stream().map(OptionSpec::name).toList());
        assertEquals("float in [0, 1]", prune.option("ratio").typeName());
        assertEquals(0.25, prune.option("ratio").defaultValue());
        assertEquals("one of js, kl, cosine", prune.option("metric").typeName());
        assertEquals("test pass with numeric, enum and range options", prune.summary());
    }

    @Test
    void passesNeedingAnEvaluatorSaySo() {
        PassException e = assertThrows(PassException.class, () -> PassContext.basic().requireEvaluator("prune"));
        assertTrue(e.getMessage().startsWith("pass 'prune': needs to run the model"), e.getMessage());
    }
}
