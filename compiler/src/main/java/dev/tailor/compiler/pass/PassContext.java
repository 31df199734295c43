package dev.tailor.compiler.pass;

import java.util.function.Consumer;

/**
 * What a pass may use besides the model: an evaluator and calibration data (either may be absent: passes that
 * need one fail with {@link #requireEvaluator}'s message), the compilation target, a progress sink, and a sink
 * that receives each pass's report as soon as it finishes.
 */
public final class PassContext {
    private final Evaluator evaluator;
    private final CalibrationData calibration;
    private final Target target;
    private final Progress progress;
    private final Consumer<PassReport> reports;

    private PassContext(Builder b) {
        this.evaluator = b.evaluator;
        this.calibration = b.calibration;
        this.target = b.target;
        this.progress = b.progress;
        this.reports = b.reports;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A context with no evaluator or data, for CPU: enough for structural passes. */
    public static PassContext basic() {
        return builder().build();
    }

    public Evaluator evaluator() {
        return evaluator;
    }

    /** The evaluator, or a clear failure naming the pass that needs one. */
    public Evaluator requireEvaluator(String pass) {
        if (evaluator == null)
            throw new PassException(pass, "needs to run the model, but no evaluator is available; run it from the "
                    + "tailor command or give the pass manager an ONNX Runtime evaluator");
        return evaluator;
    }

    public CalibrationData calibration() {
        return calibration;
    }

    public Target target() {
        return target;
    }

    public Progress progress() {
        return progress;
    }

    public Consumer<PassReport> reports() {
        return reports;
    }

    public Builder toBuilder() {
        return new Builder().evaluator(evaluator).calibration(calibration).target(target).progress(progress)
                .reports(reports);
    }

    public static final class Builder {
        private Evaluator evaluator;
        private CalibrationData calibration;
        private Target target = Target.CPU;
        private Progress progress = Progress.NONE;
        private Consumer<PassReport> reports = r -> {};

        public Builder evaluator(Evaluator e) {
            this.evaluator = e;
            return this;
        }

        public Builder calibration(CalibrationData c) {
            this.calibration = c;
            return this;
        }

        public Builder target(Target t) {
            this.target = t;
            return this;
        }

        public Builder progress(Progress p) {
            this.progress = p;
            return this;
        }

        public Builder reports(Consumer<PassReport> r) {
            this.reports = r;
            return this;
        }

        public PassContext build() {
            return new PassContext(this);
        }
    }
}
