package dev.tailor.runtime.data;

import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.pass.CalibrationData;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Input batches checked against a model's inputs: every batch has a tensor for each of the model's
 * non-initializer inputs, of its element type and rank, with its fixed sizes, and with one size for each symbolic
 * dimension across the batch's tensors.
 */
public record Dataset(List<Map<String, Tensor>> batches, String description) implements CalibrationData {
    public Dataset {
        batches = batches.stream().map(b -> Collections.unmodifiableMap(new LinkedHashMap<>(b))).toList();
    }

    public int size() {
        return batches.size();
    }

    @Override
    public String toString() {
        return description;
    }
}
