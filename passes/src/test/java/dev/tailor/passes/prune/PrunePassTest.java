package dev.tailor.passes.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.testdata.ModelZoo;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the pass decides before it runs anything, on all-MiniLM-L6-v2 (6 blocks, 12 sublayers): the candidates that
 * only, keep and warmup leave, and the one-line errors for targets it cannot meet or options that do not fit.
 */
class PrunePassTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());
    private static Model minilm;

    @BeforeAll
    static void read() {
        minilm = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
    }

    private static PassResult run(String options) {
        List<PassReport> r = new PassManager(true).run(minilm, PARSER.parse("prune(" + options + ")"),
                PassContext.basic());
        return r.get(r.size() - 1).result();
    }

    private static String error(String options) {
        return assertThrows(PassException.class, () -> run(options)).getMessage();
    }

    @Test
    void onlyKeepAndWarmupNarrowTheCandidates() {
        assertEquals(12, run("count=0").metrics().get("candidates"));
        assertEquals(6, run("count=0, only=attn").metrics().get("candidates"));
        assertEquals(6, run("count=0, only=ffn").metrics().get("candidates"));
        assertEquals(10, run("count=0, keep=[b0]").metrics().get("candidates"));
        assertEquals(6, run("count=0, keep=[\"*.ffn\"]").metrics().get("candidates"));
        assertEquals(9, run("count=0, keep=[b5.attn, b5.ffn, b4.attn]").metrics().get("candidates"));
        // warmup rounds down: a third of 6 blocks is 2, 0.3 of them is 1.
        assertEquals(8, run("count=0, warmup=0.34").metrics().get("candidates"));
        assertEquals(10, run("count=0, warmup=0.3").metrics().get("candidates"));
        assertEquals(4, run("count=0, warmup=0.34, only=attn").metrics().get("candidates"));
        PassResult none = run("count=0");
        assertEquals(false, none.isModified());
        assertEquals(List.of(), none.metrics().get("removed"));
        assertEquals(Anatomy.of(minilm).sublayers().size(), 12, "nothing changed");
    }

    @Test
    void targetsItCannotMeetAreErrors() {
        assertEquals("pass 'prune': cannot remove 13 sublayers: only 12 are candidates (12 of the kinds only=any selects, "
                + "less keep and warmup); lower count or ratio", error("count=13"));
        // ratio counts the candidates of the selected kinds before keep: 1.0 x 12 = 12 > 10.
        assertTrue(error("ratio=1, keep=[b0]").contains("cannot remove 12 sublayers: only 10 are candidates"));
        assertTrue(error("ratio=1, only=attn, warmup=0.5").contains("cannot remove 6 sublayers: only 3 are candidates"));
        String tooFew = error("params=0.2");
        assertTrue(tooFew.startsWith("pass 'prune': cannot reach params=0.2: the model has 22,565,888 parameters and removing "
                + "all 12 candidate sublayers takes out only "), tooFew);
        assertTrue(tooFew.endsWith("; raise params or loosen keep/only/warmup"), tooFew);
    }

    @Test
    void optionsThatDoNotFitAreErrors() {
        assertEquals("pass 'prune': give either count or params, not both (count=2, params=0.8)", error("count=2, params=0.8"));
        assertEquals("pass 'prune': params works with method=finercut; use count or ratio with method=block",
                error("params=0.8, method=block"));
        assertTrue(error("keep=[\"b0..\"]").startsWith("pass 'prune': keep: "), error("keep=[\"b0..\"]"));
        assertEquals("pass 'prune': output: the model has no graph output 'logits'; it has [last_hidden_state]",
                error("count=1, output=logits"));
        assertTrue(error("count=1").contains("needs to run the model, but no evaluator is available"));
    }
}
