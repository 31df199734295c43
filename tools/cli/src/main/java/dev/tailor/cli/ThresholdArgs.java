package dev.tailor.cli;

import dev.tailor.runtime.Validator;
import picocli.CommandLine.Option;

/** The pass criteria of a validation, shared by validate and compile --validate. */
final class ThresholdArgs {
    @Option(names = "--min-cosine", paramLabel = "X", defaultValue = "0.98", description = "per-output cosine floor")
    double minCosine;

    @Option(names = "--max-abs-error", paramLabel = "X", description = "per-output max abs error ceiling")
    Double maxAbsError;

    @Option(names = "--min-top1", paramLabel = "X", defaultValue = "0.9", description = "top-1 agreement floor (logits)")
    double minTop1;

    @Option(names = "--min-pooled-cosine", paramLabel = "X", defaultValue = "0.98",
            description = "floor of every sentence's mean-pooled embedding cosine (embedding models)")
    double minPooled;

    Validator.Thresholds thresholds() {
        return new Validator.Thresholds(minCosine, maxAbsError, minTop1, minPooled);
    }
}
