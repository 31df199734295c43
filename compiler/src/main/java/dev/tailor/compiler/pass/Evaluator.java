package dev.tailor.compiler.pass;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs models for passes that need numbers (calibration, scoring, constant folding). Passes never see the
 * runtime behind it; {@code runtime/} supplies one backed by ONNX Runtime. A model is prepared once and run many
 * times with different inputs.
 */
public interface Evaluator {

    /**
     * Prepares {@code model} to compute {@code outputs} (names of any values in its main graph; empty means the
     * graph's outputs). The model may be changed by the caller afterwards without affecting the prepared form.
     */
    Prepared prepare(Model model, List<String> outputs);

    /**
     * Prepares a model that will run once (constant folding, say): implementations may skip optimizations whose
     * cost only pays off over many runs.
     */
    default Prepared prepareForSingleRun(Model model, List<String> outputs) {
        return prepare(model, outputs);
    }

    /** A model ready to run. */
    interface Prepared extends AutoCloseable {
        /** Runs once; inputs by graph-input name, outputs by value name. */
        Map<String, Tensor> run(Map<String, Tensor> inputs);

        /**
         * Runs once and returns only {@code outputs} (a subset of those prepared): implementations skip copying
         * the others out of the runtime.
         */
        default Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> outputs) {
            Map<String, Tensor> all = run(inputs);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : outputs) out.put(name, all.get(name));
            return out;
        }

        @Override
        void close();
    }
}
