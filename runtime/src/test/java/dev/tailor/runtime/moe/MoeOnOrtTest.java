package dev.tailor.runtime.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.runtime.ExecutionProvider;
import dev.tailor.runtime.OrtEvaluator;
import dev.tailor.runtime.Sessions;
import dev.tailor.runtime.Validator;
import dev.tailor.runtime.data.DataOptions;
import dev.tailor.runtime.data.DataSources;
import dev.tailor.runtime.data.Dataset;
import dev.tailor.testdata.ExportedModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The moe pass on ONNX Runtime, on a plain GELU encoder (bert_tiny) and a SwiGLU decoder (llama_tiny): with every
 * expert active the converted model equals the original in every form; with top-k routing the masked, sparse and
 * contrib forms compute the same function; bad requests fail with one clear line.
 */
class MoeOnOrtTest {
    private static final PipelineParser PARSER = new PipelineParser(PassRegistry.load());
    private static final Sessions.Options CPU = Sessions.Options.of(ExecutionProvider.CPU);

    private static Dataset data(Model m) {
        return DataSources.open(null, m, DataOptions.DEFAULTS.withBatches(4).withBatchSize(2).withSequenceLength(16));
    }

    private static PassReport convert(Model m, String pipeline, Dataset calibration) {
        PassContext ctx = PassContext.builder().evaluator(new OrtEvaluator()).calibration(calibration).build();
        List<PassReport> r = PassManager.fromSystemProperties().run(m, PARSER.parse(pipeline), ctx);
        return r.get(r.size() - 1);
    }

    private static Validator.OutputMetrics compare(Model a, Model b, Dataset data) {
        Validator.Report r = Validator.validate(a, b, data.batches(), CPU, Validator.Thresholds.defaults());
        return r.outputs().get(0);
    }

    private static long count(Model m, String op) {
        long n = 0;
        for (Node node : m.graph().nodes()) if (node.opType().equals(op)) n++;
        return n;
    }

    @Test
    void everyExpertActiveEqualsTheOriginalInEveryForm() {
        for (String name : List.of("bert_tiny", "llama_tiny")) {
            Model original = OnnxReader.read(ExportedModels.file(name));
            Dataset data = data(original);
            for (String options : List.of("form=masked", "form=sparse, shared=0.25, compensate=true", "form=sparse")) {
                Model m = OnnxReader.read(ExportedModels.file(name));
                PassReport r = convert(m, "moe(experts=4, top_k=4, " + options + ")", data);
                assertEquals(List.of(), Verifier.verify(m), name + " " + options);
                Validator.OutputMetrics o = compare(original, m, data);
                assertTrue(o.maxAbsError() < 1e-4, name + " " + options + ": " + o);
                assertTrue((Double) r.result().metrics().get("output_cosine") > 0.99999, r.result().metrics()
                        .toString());
                if (options.contains("sparse")) assertTrue(count(m, "ScatterND") > 0, name + " has no ScatterND");
            }
        }
    }

    @Test
    void theFormsComputeTheSameFunction() {
        for (String name : List.of("bert_tiny", "llama_tiny")) {
            Model original = OnnxReader.read(ExportedModels.file(name));
            Dataset data = data(original);
            for (String options : List.of("top_k=1", "top_k=2, shared=0.25, gate=softmax", "top_k=2, router=ridge, compensate=true")) {
                Model masked = OnnxReader.read(ExportedModels.file(name));
                convert(masked, "moe(experts=4, " + options + ", form=masked)", data);
                List<String> others = name.equals("llama_tiny") ? List.of("sparse", "contrib") : List.of("sparse");
                for (String form : others) {
                    Model m = OnnxReader.read(ExportedModels.file(name));
                    convert(m, "moe(experts=4, " + options + ", form=" + form + ")", data);
                    Validator.OutputMetrics o = compare(masked, m, data);
                    assertTrue(o.maxAbsError() < 1e-4, name + " " + options + " " + form + " vs masked: " + o);
                }
                // Routing really drops experts: the converted model differs from the original.
                Validator.OutputMetrics o = compare(original, masked, data);
                assertTrue(o.maxAbsError() > 1e-3, name + " " + options + ": top-k routing changed nothing: " + o);
            }
        }
    }

    @Test
    void reportsPerSublayer() {
        Model m = OnnxReader.read(ExportedModels.file("llama_tiny"));
        PassReport r = convert(m, "moe(experts=8, top_k=2, shared=0.25)", data(m));
        Map<String, Object> metrics = r.result().metrics();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) metrics.get("sublayers");
        assertEquals(2, rows.size(), rows.toString());
        for (Map<String, Object> row : rows) {
            double accuracy = (Double) row.get("router_accuracy");
            assertTrue(accuracy > 0.25 && accuracy <= 1, row.toString());
            long active = (Long) row.get("active_ffn_parameters");
            long total = (Long) row.get("ffn_parameters");
            assertTrue(active < total * 0.6, row.toString());
        }
    }

    @Test
    void badRequestsFailWithOneLine() {
        Model m = OnnxReader.read(ExportedModels.file("llama_tiny"));
        PassException e = assertThrows(PassException.class, () -> convert(m, "moe(experts=4, top_k=5)", null));
        assertTrue(e.getMessage().contains("top_k=5 exceeds experts=4"), e.getMessage());
        e = assertThrows(PassException.class, () -> convert(m, "moe(experts=5)", null));
        assertTrue(e.getMessage().contains("do not split into 5 equal experts"), e.getMessage());
        e = assertThrows(PassException.class, () -> convert(m, "moe(shared=0.25)", null));
        assertTrue(e.getMessage().contains("needs calibration data"), e.getMessage());
        e = assertThrows(PassException.class, () -> convert(m, "moe(sublayers=[b9.ffn])", null));
        assertTrue(e.getMessage().contains("no FFN sublayer matches"), e.getMessage());
        Model bert = OnnxReader.read(ExportedModels.file("bert_tiny"));
        e = assertThrows(PassException.class, () -> convert(bert, "moe(experts=4, form=contrib)", null));
        assertTrue(e.getMessage().contains("tanh approximation") && e.getMessage().contains("form=sparse"),
                e.getMessage());
    }
}
