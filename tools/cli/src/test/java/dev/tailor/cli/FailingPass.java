package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassResult;

/**
 * A pass with a bug, on the test classpath only: it fails the way a broken pass does (an unexpected exception), so
 * the end-to-end tests can see how the command reports an internal error.
 */
@PassDef(name = "test_buggy", summary = "test only: fails with an unexpected exception, as a pass with a bug does")
public final class FailingPass implements Pass {
    @Override
    public PassResult run(Model model, PassContext context) {
        int[] sizes = new int[model.graph().nodeCount()];
        return PassResult.changed(sizes[sizes.length] > 0);
    }
}
