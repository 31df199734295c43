package dev.tailor.bench;

import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.GraphBuilder;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.Pipeline;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.OrtEvaluator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cleanup benchmark: the cleanup pipeline on generated graphs of 10k, 100k and 1M nodes that contain what
 * exporters leave behind (identities, duplicate subexpressions, dead branches, constant subgraphs). Prints the
 * time per pass and the cost per node, to show that the cost grows linearly.
 *
 * <pre>tools/bench/run cleanup [--sizes 10000,100000,1000000] [--reps N]</pre>
 */
public final class CleanupBench {
    /** Nodes per generated unit; see {@link #generate}. */
    static final int UNIT = 14;

    public static void main(String[] args) {
        long[] sizes = {10_000, 100_000, 1_000_000};
        int reps = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> sizes = java.util.Arrays.stream(args[++i].split(",")).mapToLong(Long::parseLong).toArray();
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --sizes A,B,C, --reps N");
            }
        }
        String text = "fixpoint { identity | shapes | fold | cse | dce }";
        Pipeline pipeline = new PipelineParser(PassRegistry.load()).parse(text);
        PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).build();
        System.out.printf(Locale.ROOT, "# Cleanup benchmark: `%s` (%d cores, java %s), median of %d%n%n", text,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), reps);
        // Warm up the JIT on a small graph.
        for (int i = 0; i < 3; i++) new PassManager(false).run(generate(20_000), pipeline, ctx);

        System.out.println("| nodes | after | pipeline | per node | identity | shapes | fold | cse | dce | verify |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        final int n = reps;
        for (long size : sizes) {
            double[] total = new double[n];
            Map<String, double[]> perPass = new LinkedHashMap<>();
            int before = 0, after = 0;
            double verify = 0;
            for (int r = 0; r < n; r++) {
                Model m = generate(size);
                before = m.graph().nodeCount();
                System.gc();
                long t0 = System.nanoTime();
                List<PassReport> reports = new PassManager(false).run(m, pipeline, ctx);
                total[r] = (System.nanoTime() - t0) / 1e6;
                for (PassReport p : reports)
                    perPass.computeIfAbsent(p.pass(), k -> new double[n])[r] += p.millis();
                after = m.graph().nodeCount();
                long v0 = System.nanoTime();
                if (!Verifier.verify(m).isEmpty()) throw new IllegalStateException("cleanup broke the graph");
                verify = (System.nanoTime() - v0) / 1e6;
            }
            double t = median(total);
            System.out.printf(Locale.ROOT, "| %,d | %,d | %.0f ms | %.2f µs | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n",
                    before, after, t, t * 1000 / before, median(perPass.get("identity")),
                    median(perPass.get("shapes")), median(perPass.get("fold")),
                    median(perPass.get("cse")), median(perPass.get("dce")), verify);
        }
    }

    /**
     * A chain of units, each 14 nodes: y = Relu(x·W + b) computed twice (a duplicate for cse), passed through
     * Identity, a dead Neg branch, a constant subgraph Concat(Unsqueeze(c), Unsqueeze(c)) → Reshape target (fold),
     * and an Add that joins the duplicates.
     */
    static Model generate(long nodes) {
        GraphBuilder b = new GraphBuilder("bench");
        Value x = b.input("x", Type.tensor(DataType.FLOAT, "batch", 4));
        Value w = b.initializer(Tensor.ofFloats("w", new long[] {4, 4}, new float[16]));
        Value bias = b.initializer(Tensor.ofFloats("b", new long[] {4}, 1, 2, 3, 4));
        Value four = b.initializer(Tensor.ofLongs("four", new long[0], 4));
        Value minus1 = b.initializer(Tensor.ofLongs("minus1", new long[0], -1));
        Value axes = b.initializer(Tensor.ofLongs("axes", new long[] {1}, 0));
        for (long i = 0; i < nodes / UNIT; i++) {
            Value y1 = b.op("Relu", b.op("Add", b.op("MatMul", x, w), bias));
            Value y2 = b.op("Relu", b.op("Add", b.op("MatMul", x, w), bias));
            b.op("Neg", y1);
            Value shape = b.op("Concat", List.of(b.op("Unsqueeze", minus1, axes), b.op("Unsqueeze", four, axes)),
                    Attribute.of("axis", 0L));
            Value sum = b.op("Add", b.op("Identity", y1), y2);
            x = b.op("Reshape", sum, b.op("Reshape", shape, b.initializer(Tensor.ofLongs("s" + i, new long[] {1}, 2))));
        }
        b.output(x);
        return Model.of(b.build(), 17);
    }

    private static double median(double[] xs) {
        if (xs == null) return 0;
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }
}
