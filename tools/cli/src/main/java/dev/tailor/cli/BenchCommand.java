package dev.tailor.cli;

import dev.tailor.compiler.ir.Model;
import dev.tailor.runtime.LatencyBench;
import dev.tailor.runtime.data.Dataset;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tailor bench MODEL [--vs OTHER]}: latency on ONNX Runtime, alone or against another model. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure a model's latency on ONNX Runtime (p50/p90), or compare it with another model "
                + "(runs interleaved, reported as a ratio)."},
        footer = {"", "Examples:",
                "  tailor bench @minilm-q --vs @minilm",
                "  tailor bench small.onnx --vs @minilm --json \\",
                "      --inputs sentences.txt --tokenizer tokenizer.json --lines 1..8"})
final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "the model to time (.onnx, or a bundled @name)")
    String model;

    @Option(names = "--vs", paramLabel = "OTHER", description = "a model to compare with, timed interleaved")
    String other;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "5", description = "untimed runs first")
    int warmup;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "50", description = "timed runs")
    int runs;

    @Mixin
    RuntimeArgs run;

    @Mixin
    DataArgs data;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (runs < 1) throw new ExitCodes.UserError(ExitCodes.BAD_INPUT, "--runs must be at least 1");
        Model m = new ModelSource(model).read();
        Model o = other == null ? null : new ModelSource(other).read();
        Dataset inputs = data.open(m);
        LatencyBench.Result r = LatencyBench.run(m, o, inputs.batches().get(0), warmup, runs, run.sessionOptions());
        PrintWriter out = spec.commandLine().getOut();
        Console.of(spec).notes(r.notices());
        if (run.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model);
            j.put("execution_provider", r.provider().toString());
            j.put("notices", r.notices());
            j.put("inputs", inputs.description());
            j.put("runs", runs);
            j.put("p50_ms", r.model().p50());
            j.put("p90_ms", r.model().p90());
            j.put("mean_ms", r.model().mean());
            if (o != null) {
                j.put("other", other);
                j.put("other_p50_ms", r.other().p50());
                j.put("other_p90_ms", r.other().p90());
                j.put("speedup", r.ratio());
            }
            out.print(dev.tailor.report.Json.write(j));
        } else {
            out.printf(Locale.ROOT, "%s on %s: p50 %.2f ms, p90 %.2f ms (%d runs after %d warm-up; %s)%n", model,
                    r.provider(), r.model().p50(), r.model().p90(), runs, warmup, inputs.description());
            if (o != null)
                out.printf(Locale.ROOT, "%s: p50 %.2f ms, p90 %.2f ms; %s is %.2f× %s (ratio of p50s, runs interleaved)%n",
                        other, r.other().p50(), r.other().p90(), model, r.ratio() >= 1 ? r.ratio() : 1 / r.ratio(),
                        r.ratio() >= 1 ? "faster" : "slower");
        }
        out.flush();
        return ExitCodes.OK;
    }
}
