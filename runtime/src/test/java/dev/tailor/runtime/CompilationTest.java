package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassReport;
import dev.tailor.compiler.pass.PipelineException;
import dev.tailor.compiler.pass.Progress;
import dev.tailor.compiler.pass.Target;
import dev.tailor.testdata.ExportedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compile orchestration on bert_tiny (a PyTorch export): what the command and the Maven plugin rely on. */
class CompilationTest {
    static final String CLEANUP = "fixpoint { identity | shapes | fold | cse | dce }";

    @TempDir
    Path dir;

    @Test
    void compilesWritesAndValidates() {
        Path in = ExportedModels.file("bert_tiny");
        Path out = dir.resolve("sub/bert-int8.onnx");
        List<PassReport> seen = new ArrayList<>();
        List<String> tasks = new ArrayList<>();
        Compilation.Result r = new Compilation(in).pipeline(CLEANUP + " | quantize(mode=int8_dynamic)").output(out)
                .validate(new Compilation.Validation(Sessions.Options.of(ExecutionProvider.CPU),
                        new Validator.Thresholds(0.99, null, null, null), null, null))
                .reports(seen::add)
                .progress(new Progress() {
                    @Override
                    public void begin(String task, long total) {
                        tasks.add(task);
                    }

                    @Override
                    public void update(long done) {}

                    @Override
                    public void end() {}
                })
                .run();
        assertEquals(out.toAbsolutePath().normalize(), r.output());
        assertEquals(seen, r.passes(), "each report reached the sink as the pass finished");
        assertEquals("quantize", r.passes().get(r.passes().size() - 1).pass());
        assertEquals(202, r.original().graph().nodeCount(), "the original is the input as read");
        assertEquals(OnnxReader.read(out).graph().nodeCount(), r.compiled().graph().nodeCount());
        assertTrue(r.outputBytes() < r.inputBytes(), r.outputBytes() + " vs " + r.inputBytes());
        assertEquals("none", r.calibration());
        assertTrue(r.validation().passed(), r.validation().failures().toString());
        assertEquals(ExecutionProvider.CPU, r.validation().provider());
        assertTrue(r.validation().outputs().get(0).cosine() < 1.0, "int8 moved the output a little");
        assertTrue(r.validationInputs().startsWith("synthetic"), r.validationInputs());
        assertTrue(tasks.get(tasks.size() - 1).startsWith("validating on ONNX Runtime"), tasks.toString());
        assertTrue(r.passed());
    }

    @Test
    void targetOverridesThePipelineFile() throws IOException {
        Path file = dir.resolve("clean.pipeline");
        Files.writeString(file, "target = cuda\n# cleanup\nidentity\ndce\n");
        Compilation c = new Compilation(ExportedModels.file("bert_tiny")).pipelineFile(file);
        assertEquals(Target.CUDA, c.parsePipeline().target());
        assertEquals(Target.CPU, c.target(Target.CPU).parsePipeline().target());
        Compilation.Result r = c.output(dir.resolve("o.onnx")).run();
        assertEquals(Target.CPU, r.pipeline().target());
        assertNull(r.validation());
    }

    @Test
    void badSettingsFailBeforeAnythingRuns() throws IOException {
        Path in = ExportedModels.file("bert_tiny");
        Path out = dir.resolve("o.onnx");
        CompilationException missingFile = assertThrows(CompilationException.class,
                () -> new Compilation(in).pipelineFile(dir.resolve("none.pipeline")).output(out).run());
        assertEquals(dir.resolve("none.pipeline") + ": no such pipeline file", missingFile.getMessage());
        Files.createDirectories(dir.resolve("folder.onnx"));
        CompilationException folder = assertThrows(CompilationException.class,
                () -> new Compilation(in).pipeline("dce").output(dir.resolve("folder.onnx")).run());
        assertTrue(folder.getMessage().endsWith("folder.onnx: is a folder; give the output a file name"),
                folder.getMessage());
        PipelineException typo = assertThrows(PipelineException.class,
                () -> new Compilation(dir.resolve("no-model.onnx")).pipeline("dce | csee").output(out).run());
        assertEquals(7, typo.column(), "the pipeline is checked first, even before the model is read");
        CompilationException noModel = assertThrows(CompilationException.class,
                () -> new Compilation(dir.resolve("no-model.onnx")).pipeline("dce").output(out).run());
        assertEquals(dir.resolve("no-model.onnx") + ": no such model file", noModel.getMessage());
        assertFalse(Files.exists(out));
    }
}
