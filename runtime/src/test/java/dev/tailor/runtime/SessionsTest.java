package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.runtime.data.SyntheticData;
import dev.tailor.testdata.ExportedModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Execution-provider selection on a machine without a GPU (this test's premise: CI has none). */
class SessionsTest {
    private static byte[] model() {
        return OnnxWriter.toBytes(OnnxReader.read(ExportedModels.file("bert_tiny")));
    }

    @Test
    void cudaFailsWithAClearMessage() {
        ExecutionProviderException e = assertThrows(ExecutionProviderException.class, () -> Sessions.open(
                OrtEnvironment.getEnvironment(), model(), Sessions.Options.of(ExecutionProvider.CUDA)));
        assertTrue(e.getMessage().startsWith("this build of Tailor uses ONNX Runtime's CPU package; build with "
                + "'mvn -Pcuda package' (onnxruntime_gpu) and provide an NVIDIA driver, CUDA 12.x and cuDNN 9.x"),
                e.getMessage());
    }

    @Test
    void autoFallsBackToTheCpuAndSaysWhy() {
        try (Sessions.Opened o = Sessions.open(OrtEnvironment.getEnvironment(), model(),
                Sessions.Options.of(ExecutionProvider.AUTO).profiled())) {
            assertEquals(ExecutionProvider.CPU, o.provider());
            assertEquals(1, o.notices().size());
            assertTrue(o.notices().get(0).startsWith("CUDA is not available (this build of Tailor uses ONNX Runtime's CPU"),
                    o.notices().get(0));
            assertTrue(o.notices().get(0).endsWith("; running on the CPU"));
        }
    }

    @Test
    void theProfileCountsNodesPerProvider() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        var model = OnnxReader.read(ExportedModels.file("bert_tiny"));
        try (Sessions.Opened o = Sessions.open(env, OnnxWriter.toBytes(model),
                Sessions.Options.of(ExecutionProvider.CPU).profiled())) {
            var inputs = SyntheticData.batch(model, 1, 5, 3);
            var feed = new java.util.HashMap<String, ai.onnxruntime.OnnxTensor>();
            for (var e : inputs.entrySet()) feed.put(e.getKey(), OrtTensors.toOrt(env, e.getValue()));
            o.session().run(feed).close();
            feed.values().forEach(ai.onnxruntime.OnnxTensor::close);
            Map<String, Integer> counts = Sessions.counts(o.nodesByProvider());
            assertEquals(java.util.Set.of("CPUExecutionProvider"), counts.keySet());
            assertTrue(counts.get("CPUExecutionProvider") > 50, counts.toString());
        }
    }

    @Test
    void externalDataIsReadWhereItLies(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        var original = OnnxReader.read(ExportedModels.file("bert_tiny"));
        java.nio.file.Path file = dir.resolve("bert.onnx");
        OnnxWriter.write(original, file, OnnxWriter.Options.defaults().withExternalDataThreshold(0L));
        var external = OnnxReader.read(file);
        OnnxWriter.InMemory serialized = OnnxWriter.inMemory(external);
        assertEquals(dir.toAbsolutePath(), serialized.externalFolder());
        assertTrue(serialized.bytes().length < 64 * 1024, "weights are referenced, not copied: " + serialized.bytes().length);
        var inputs = dev.tailor.runtime.data.SyntheticData.batch(original, 2, 6, 1);
        OrtEvaluator ort = new OrtEvaluator();
        try (var a = ort.prepare(original, java.util.List.of()); var b = ort.prepare(external, java.util.List.of())) {
            var x = a.run(inputs);
            var y = b.run(inputs);
            for (String k : x.keySet()) assertEquals(x.get(k).bytes(), y.get(k).bytes(), k);
        }
    }
}
