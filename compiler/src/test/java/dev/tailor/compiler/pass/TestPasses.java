package dev.tailor.compiler.pass;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Value;
import java.util.List;

/** Passes for testing the framework: their options cover every option kind. */
final class TestPasses {
    private TestPasses() {}

    enum Metric { JS, KL, COSINE }

    @PassDef(name = "prune", summary = "test pass with numeric, enum and range options")
    public static final class Prune implements Pass {
        @Option(doc = "fraction to remove", min = 0, max = 1)
        double ratio = 0.25;
        @Option(doc = "how to score")
        Metric metric = Metric.JS;
        @Option(doc = "which blocks")
        IntRange blocks = IntRange.ALL;
        @Option(doc = "candidates per step", min = 1)
        int topK = 1;

        @Override
        public PassResult run(Model model, PassContext context) {
            return PassResult.unchanged().metric("ratio", ratio).metric("metric", metric.name());
        }
    }

    @PassDef(name = "quantize", summary = "test pass with list, bool and string options")
    public static final class Quantize implements Pass {
        enum Mode { INT8_DYNAMIC, INT8_STATIC, FP16 }

        @Option(doc = "scheme")
        Mode mode = Mode.INT8_DYNAMIC;
        @Option(doc = "weights to leave alone", element = String.class)
        List<String> exclude = List.of();
        @Option(doc = "per channel")
        boolean perChannel = true;
        @Option(doc = "a label")
        String label = "q";

        @Override
        public PassResult run(Model model, PassContext context) {
            return PassResult.unchanged();
        }
    }

    /** Removes one Relu per run, so a fixpoint group must run it until none is left. */
    @PassDef(name = "drop_one_relu", summary = "removes the first Relu")
    public static final class DropOneRelu implements Pass {
        @Override
        public PassResult run(Model model, PassContext context) {
            for (Node n : model.graph().nodes()) {
                if (n.opType().equals("Relu")) {
                    n.output(0).replaceAllUsesWith(n.input(0));
                    model.graph().remove(n);
                    return PassResult.changed(true);
                }
            }
            return PassResult.unchanged();
        }
    }

    /** Breaks the IR on purpose: rewires a node to a value of nowhere. */
    @PassDef(name = "vandal", summary = "leaves a dangling use")
    public static final class Vandal implements Pass {
        @Override
        public PassResult run(Model model, PassContext context) {
            model.graph().firstNode().setInput(0, new Value("nowhere"));
            return PassResult.changed(true);
        }
    }

    static PassRegistry registry() {
        return PassRegistry.of(Prune.class, Quantize.class, DropOneRelu.class, Vandal.class);
    }
}
