package dev.tailor.compiler.pass;

import dev.tailor.compiler.ir.Tensor;
import java.util.List;
import java.util.Map;

/** Input batches for passes that calibrate or score: each batch maps graph-input names to tensors. */
public interface CalibrationData {
    List<Map<String, Tensor>> batches();

    /** Where the data came from, for reports (a file, or "synthetic"). */
    String description();
}
