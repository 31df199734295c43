package dev.tailor.report;

import java.util.List;

/**
 * What changed between two models: the numbers of each side, node and initializer changes, and the optional
 * parts that callers add (the passes that ran, output metrics from running both models, a per-block map).
 * Every list is in a stable order, so a report renders the same way every time.
 */
public record DiffReport(Side before, Side after, Matching matching, List<OpTypeChange> opTypes,
                         List<NodeChange> nodes, List<InitializerChange> initializers, String pipeline,
                         List<PassRun> passes, List<OutputComparison> outputs, BlockMap blockMap) {

    /** One model's totals. {@code flops} is null when the model has no MatMul, Gemm or Conv with known shapes. */
    public record Side(String label, int nodes, int initializers, long parameters, long weightBytes,
                       FlopEstimate flops) {}

    /** How the nodes of {@code after} were matched to those of {@code before}. */
    public record Matching(int byName, int byStructure, int unmatchedBefore, int unmatchedAfter) {
        public int matched() {
            return byName + byStructure;
        }
    }

    /** Per op type: how many nodes each side has and how many were added, removed or changed. */
    public record OpTypeChange(String opType, int before, int after, int added, int removed, int changed) {}

    public enum Kind { ADDED, REMOVED, CHANGED }

    /**
     * One node that differs. {@code before}/{@code after} are the node names (null on the side where it does not
     * exist); {@code reasons} say what differs for a changed node.
     */
    public record NodeChange(Kind kind, String opType, String before, String after, List<String> reasons) {}

    /** One initializer that differs: in element type, shape or size, or one present on one side only. */
    public record InitializerChange(Kind kind, String before, String after, String typeBefore, String typeAfter,
                                    String shapeBefore, String shapeAfter, long bytesBefore, long bytesAfter) {}

    /** One pass run of the pipeline that produced {@code after}, as its pass reported it. */
    public record PassRun(String pass, String step, double millis, boolean modified, java.util.Map<String, Object> metrics,
                          List<String> notes) {
        /** A pass run as the pass manager reported it. */
        public static PassRun of(dev.tailor.compiler.pass.PassReport r) {
            return new PassRun(r.pass(), r.step(), r.millis(), r.result().isModified(), r.result().metrics(),
                    r.result().notes());
        }

        public static List<PassRun> of(List<dev.tailor.compiler.pass.PassReport> reports) {
            return reports.stream().map(PassRun::of).toList();
        }

        /**
         * Measurements as the readable reports print them: {@code name=value, ...}, doubles to 5 significant
         * digits, long lists cut with their size.
         */
        public static String format(java.util.Map<String, Object> metrics) {
            return TextRenderer.metrics(metrics);
        }
    }

    /** How one graph output of {@code after} compares with {@code before}'s on the same inputs. */
    public record OutputComparison(String name, long elements, double maxAbsError, double meanAbsError,
                                   double relativeL2, double cosine) {}

    public DiffReport withPasses(String pipeline, List<PassRun> passes) {
        return new DiffReport(before, after, matching, opTypes, nodes, initializers, pipeline, List.copyOf(passes),
                outputs, blockMap);
    }

    public DiffReport withOutputs(List<OutputComparison> outputs) {
        return new DiffReport(before, after, matching, opTypes, nodes, initializers, pipeline, passes,
                List.copyOf(outputs), blockMap);
    }

    public DiffReport withBlockMap(BlockMap blockMap) {
        return new DiffReport(before, after, matching, opTypes, nodes, initializers, pipeline, passes, outputs,
                blockMap);
    }

    public long count(Kind kind) {
        return nodes.stream().filter(n -> n.kind() == kind).count();
    }

    public long initializerCount(Kind kind) {
        return initializers.stream().filter(n -> n.kind() == kind).count();
    }
}
