package dev.tailor.passes.macaron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Role;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerKind;
import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.testdata.ExportedModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rewrite's structure and its refusals, without running a model (ORT checks live in the runtime module). */
class MacaronPassTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());

    private static PassResult run(Model m, String pipeline) {
        PassResult r = new PassManager(true).run(m, PARSER.parse(pipeline), PassContext.basic()).get(0).result();
        assertEquals(List.of(), Verifier.verify(m));
        return r;
    }

    private static Model model(String name) {
        return OnnxReader.read(ExportedModels.file(name));
    }

    @Test
    void exactOnLlamaAddsACopiedFfnWithItsOwnNormBeforeEveryAttention() {
        Model m = model("llama_tiny");
        Anatomy before = Anatomy.of(m);
        long added = 0;
        for (Block b : before.blocks()) added += b.sublayer(SublayerKind.FFN).parameterCount();
        PassResult r = run(m, "macaron");
        assertEquals(((Number) r.metrics().get("parameters_before")).longValue() + added,
                ((Number) r.metrics().get("parameters_after")).longValue());
        assertEquals("b0[ffn attn ffn] b1[ffn attn ffn]", r.metrics().get("layout"));
        Anatomy after = Anatomy.of(m);
        Sublayer front = after.sublayer("b1.ffn_front");
        assertEquals("pre", front.norm().placement().id());
        assertEquals(before.sublayer("b1.ffn").ffn(), front.ffn());
        // its projections and residual add are new nodes, tagged with the pass that made them
        for (Node n : front.nodes())
            if (n.opType().equals("MatMul") || n == front.residual())
                assertEquals("macaron", n.metadata().get("tailor.pass"), n.toString());
        // the front's down projection is zero, its up and gate are the FFN's (same data, own tensors)
        assertTrue(allZero(front.weight(Role.DOWN).matrix().tensor().toFloats()));
        assertEquals(List.of(), after.unplaced());
    }

    @Test
    void exactOnPostLnBertPutsNoNormOnTheFront() {
        Model m = model("bert_tiny");
        run(m, "macaron(mode=exact, blocks=[b1])");
        Anatomy a = Anatomy.of(m);
        assertNull(a.block("b0").front(), "b0 was not selected");
        assertNull(a.block("b1").front().norm());
        assertEquals("post", a.streams().get(0).normPlacement());
    }

    @Test
    void duplicateSharesOrCopiesTheHalves() {
        Model shared = model("llama_tiny");
        PassResult s = run(shared, "macaron(mode=duplicate, weights=shared)");
        // the halved down replaces the original and both halves read it, as they read the same up, gate and norm
        assertEquals(s.metrics().get("parameters_before"), s.metrics().get("parameters_after"));
        Anatomy a = Anatomy.of(shared);
        Sublayer front = a.sublayer("b0.ffn_front");
        Sublayer back = a.sublayer("b0.ffn");
        assertEquals(back.weight(Role.DOWN).matrix().name(),
                front.weight(Role.DOWN).matrix().name());

        Model copied = model("llama_tiny");
        PassResult c = run(copied, "macaron(mode=duplicate, weights=copied)");
        Anatomy before = Anatomy.of(model("llama_tiny"));
        long added = 0;
        for (Block b : before.blocks()) added += b.sublayer(SublayerKind.FFN).parameterCount();
        assertEquals(((Number) c.metrics().get("parameters_before")).longValue() + added,
                ((Number) c.metrics().get("parameters_after")).longValue());
        float[] original = before.sublayer("b0.ffn").weight(Role.DOWN).matrix().tensor()
                .toFloats();
        float[] half = Anatomy.of(copied).sublayer("b0.ffn_front").weight(Role.DOWN)
                .matrix().tensor().toFloats();
        for (int i = 0; i < original.length; i++) assertEquals(original[i] * 0.5f, half[i]);
    }

    @Test
    void refusalsNameTheProblemAndTheWayOut() {
        assertMessage("cnn_small", "macaron", "no transformer blocks found");
        assertMessage("llama_tiny", "macaron(blocks=[b9])", "no block matches 'b9' (the model has b0..b1)");
        assertMessage("llama_tiny", "macaron(mode=split, fraction=0.001)", "moves 0 of b0.ffn's");
        assertMessage("llama_tiny", "macaron(mode=split)", "no evaluator is available");
        Model twice = model("llama_tiny");
        run(twice, "macaron(blocks=[b0])");
        PassException e = assertThrows(PassException.class, () -> run(twice, "macaron"));
        assertTrue(e.getMessage().contains("b0 already has an FFN before its attention (b0.ffn_front); leave it out "
                + "of blocks"), e.getMessage());
    }

    private static void assertMessage(String model, String pipeline, String expected) {
        PassException e = assertThrows(PassException.class, () -> run(model(model), pipeline));
        assertTrue(e.getMessage().startsWith("pass 'macaron': ") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void lowestSplitsByEnergyAndKeepsIndexOrder() {
        int[][] parts = Macaron.lowest(new double[] {5, 1, 4, 0, 3}, 2);
        assertEquals(List.of(1, 3), java.util.Arrays.stream(parts[0]).boxed().toList());
        assertEquals(List.of(0, 2, 4), java.util.Arrays.stream(parts[1]).boxed().toList());
    }

    private static boolean allZero(float[] v) {
        for (float f : v) if (f != 0) return false;
        return true;
    }
}
