package dev.tailor.compiler.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelineParserTest {
    private final PipelineParser parser = new PipelineParser(TestPasses.registry());

    @Test
    void parsesInlinePipelinesWithTypedOptions() {
        Pipeline p = parser.parse("prune(ratio=0.5, metric=kl, blocks=6..11, top_k=3) | quantize(mode=fp16, "
                + "exclude=[b0.attn.q, \"*.ffn.down\"], per_channel=false)");
        assertEquals(2, p.steps().size());
        Pipeline.PassStep prune = (Pipeline.PassStep) p.steps().get(0);
        assertEquals(Map.of("ratio", 0.5, "metric", TestPasses.Metric.KL, "blocks", new IntRange(6, 11), "top_k", 3),
                prune.options());
        Pipeline.PassStep q = (Pipeline.PassStep) p.steps().get(1);
        assertEquals(List.of("b0.attn.q", "*.ffn.down"), q.options().get("exclude"));
        TestPasses.Prune pass = (TestPasses.Prune) prune.instantiate();
        assertEquals(0.5, pass.ratio);
        assertEquals(3, pass.topK);
        assertEquals(TestPasses.Metric.KL, pass.metric);
    }

    @Test
    void filesHaveOneStepPerLineCommentsAndSettings() {
        String file = """
                # shrink, then quantize
                target = cuda

                prune(ratio=0.25)   # a quarter of the sublayers
                fixpoint(max=3) {
                  drop_one_relu
                }
                quantize(
                    mode = int8_static,
                    exclude = [b0.attn.q],
                )
                """;
        Pipeline p = parser.parse(file, "shrink.pipeline");
        assertEquals(Target.CUDA, p.target());
        assertEquals(3, p.steps().size());
        assertEquals("target=cuda | prune(ratio=0.25) | fixpoint(max=3) { drop_one_relu } | "
                + "quantize(mode=int8_static, exclude=[b0.attn.q])", p.toString());
    }

    @Test
    void everyPipelinePrintsToTextThatParsesToTheSamePipeline() {
        for (String text : List.of("prune", "prune(ratio=0.1) | quantize", "prune(blocks=3..)",
                "quantize(exclude=[], label=\"a b\", per_channel=true)", "fixpoint { prune | drop_one_relu }",
                "target = cuda | prune(metric=cosine, ratio=1, blocks=7)", "prune(ratio=1e-3)")) {
            Pipeline p = parser.parse(text);
            Pipeline again = parser.parse(p.toString());
            assertEquals(p, again, text + " -> " + p);
            assertEquals(p.toString(), again.toString());
        }
    }

    private String error(String text) {
        return assertThrows(PipelineException.class, () -> parser.parse(text)).getMessage();
    }

    @Test
    void errorsPointAtTheProblemAndSuggestNames() {
        assertEquals("""
                pipeline:1:7: unknown option 'ration' for prune; did you mean 'ratio'? (options: ratio, metric, blocks, top_k)
                  prune(ration=0.25) | quantize(mode=int8_dynamic)
                        ^""", error("prune(ration=0.25) | quantize(mode=int8_dynamic)"));
        assertEquals("""
                pipeline:1:1: unknown pass 'prnue'; did you mean 'prune'? (tailor passes lists them)
                  prnue(ratio=0.25)
                  ^""", error("prnue(ratio=0.25)"));
        assertEquals("""
                pipeline:1:18: unknown pass 'quantise'; did you mean 'quantize'? (tailor passes lists them)
                  prune(ratio=0.2)|quantise
                                   ^""", error("prune(ratio=0.2)|quantise"));
        assertEquals("""
                pipeline:1:13: option 'ratio' of prune must be in [0, 1], got 1.5
                  prune(ratio=1.5)
                              ^""", error("prune(ratio=1.5)"));
        assertEquals("""
                pipeline:1:14: option 'metric' of prune expects one of js, kl, cosine, got jss; did you mean 'js'?
                  prune(metric=jss)
                               ^""", error("prune(metric=jss)"));
        assertEquals("""
                pipeline:1:13: option 'top_k' of prune expects an int in [1, ∞], got 2.5
                  prune(top_k=2.5)
                              ^""", error("prune(top_k=2.5)"));
        assertEquals("""
                pipeline:1:14: option 'blocks' of prune expects a range (a..b), got fast
                  prune(blocks=fast)
                               ^""", error("prune(blocks=fast)"));
        assertEquals("""
                pipeline:1:13: unexpected ')'; expected '[', a number, an integer, a name or a string
                  prune(ratio=)
                              ^""", error("prune(ratio=)"));
        assertEquals("""
                pipeline:1:16: unexpected end of input; expected ',' or ')'
                  prune(ratio=0.2
                                 ^""", error("prune(ratio=0.2"));
        assertEquals("""
                pipeline:1:7: unexpected '$'; expected ')' or a name
                  prune($)
                        ^""", error("prune($)"));
        assertEquals("""
                pipeline:2:1: unknown setting 'targt'; did you mean 'target'? (settings: target)
                  targt = cuda
                  ^""", error("# settings\ntargt = cuda\nprune"));
        assertEquals("""
                pipeline:1:18: option 'ratio' is given twice
                  prune(ratio=0.1, ratio=0.2)
                                   ^""", error("prune(ratio=0.1, ratio=0.2)"));
        assertEquals("""
                pipeline:1:15: unknown option 'ratio' for drop_one_relu (it has no options)
                  drop_one_relu(ratio=1)
                                ^""", error("drop_one_relu(ratio=1)"));
    }
}
