package dev.tailor.bench;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.EmbeddingAgreement;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.LatencyBench;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.runtime.data.LineRange;
import dev.tailor.testdata.ModelZoo;
import dev.tailor.testdata.PeftAdapters;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What adapters and LoRA cost at inference: all-MiniLM-L6-v2 with each kind inserted, and a trained PEFT adapter
 * inserted against merged, each timed against the base model in interleaved runs (ratio of medians; below 1 is
 * slower), with the pooled-embedding cosine to the base model on the evaluation sentences (1 for a no-op insertion).
 */
public final class AdapterBench {
    public static void main(String[] args) {
        LineRange lines = new LineRange(3001, 3256);
        int runs = 200;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--lines" -> lines = LineRange.parse(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path peft = PeftAdapters.folder("minilm_qv");
        List<String[]> variants = List.of(
                new String[] {"LoRA q,v r=8, fresh (B=0), inserted", "lora(targets=[q, v], rank=8)"},
                new String[] {"LoRA minilm_qv (PEFT, r=4), inserted", "lora(weights=\"" + peft + "\")"},
                new String[] {"LoRA minilm_qv (PEFT, r=4), merged", "lora(weights=\"" + peft + "\", merge=true)"},
                new String[] {"Houlsby adapters (24, relu)", "adapter(kind=houlsby)"},
                new String[] {"Pfeiffer adapters (24, relu)", "adapter(kind=pfeiffer)"},
                new String[] {"parallel adapters (24, relu)", "adapter(kind=parallel)"});
        Sessions.Options one = Sessions.Options.of(ExecutionProvider.CPU).withThreads(1, false);
        PipelineParser parser = new PipelineParser(PassRegistry.load());
        Model base = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        DataOptions text = DataOptions.DEFAULTS.withTokenizer(ModelZoo.ALL_MINILM_L6_V2.tokenizer()).withBatchSize(32);
        Path sentences = QuantizeBench.findSentences();
        Dataset eval = DataSources.open(sentences, base, text.withLines(lines));
        Map<String, Tensor> latencyInputs = DataSources.open(sentences, base,
                text.withLines(lines).withBatchSize(8).withBatches(1)).batches().get(0);
        float[][] reference = EmbeddingAgreement.pooled(base, eval.batches(), one);
        System.out.printf(Locale.ROOT, "# Adapter and LoRA benchmark: all-MiniLM-L6-v2 on ONNX Runtime CPU, 1 intra-op "
                + "thread (%s)%n%nLatency: batch of 8 sentences (%d tokens padded), %d interleaved runs against the base "
                + "model, ratio of p50s (base / variant). Cosine: pooled embeddings against the base on %s.%n%n",
                QuantizeBench.cpu(), latencyInputs.get("input_ids").elementCount(), runs, eval.description());
        System.out.println("| variant | latency vs base | p50 ms | base p50 ms | params added | nodes | pooled cosine mean | min |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String[] v : variants) {
            Model m = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
            List<PassReport> r = new PassManager(false).run(m, parser.parse(v[1]), PassContext.basic());
            Object added = r.get(r.size() - 1).result().metrics().get("parameters_added");
            LatencyBench.Result lat = LatencyBench.run(m, base, latencyInputs, Math.max(10, runs / 10), runs, one);
            EmbeddingAgreement.Result agree = EmbeddingAgreement.compare(reference,
                    EmbeddingAgreement.pooled(m, eval.batches(), one), 10);
            System.out.printf(Locale.ROOT, "| %s `%s` | %.2f× | %.2f | %.2f | %s | %d | %.5f | %.4f |%n", v[0],
                    v[1].replace(peft.toString(), "minilm_qv"), lat.ratio(), lat.model().p50(), lat.other().p50(),
                    added, m.graph().nodeCount(), agree.pooledCosineMean(), agree.pooledCosineMin());
        }
    }
}
