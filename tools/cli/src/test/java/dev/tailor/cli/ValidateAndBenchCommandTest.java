package dev.tailor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.testdata.ModelZoo;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ValidateAndBenchCommandTest {

    /** The shared text, found above the working directory (CI keeps shared/ beside the clone). */
    static Path sentences() {
        return dev.tailor.runtime.data.SharedCorpus.find();
    }

    private static String[] validate(String... extra) {
        String[] base = {"validate", "@minilm-q", "--reference", "@minilm", "--ep", "cpu", "--inputs",
                sentences().toString(), "--tokenizer", ModelZoo.ALL_MINILM_L6_V2_Q.tokenizer().toString(),
                "--lines", "3001..3016"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void theQuantizedTwinPassesTheDefaultThresholds() {
        var r = ConvertCommandTest.tailor(validate());
        assertEquals(ExitCodes.OK, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("last_hidden_state"), r.out());
        assertTrue(r.out().strip().endsWith("PASS"), r.out());
    }

    @Test
    void strictThresholdsFailWithExitCodeOne() {
        var r = ConvertCommandTest.tailor(validate("--min-cosine", "0.9999", "--json"));
        assertEquals(ExitCodes.VALIDATION_FAILED, r.code(), r.err());
        assertTrue(r.out().startsWith("{"), "stdout holds only JSON: " + r.out());
        assertTrue(r.out().contains("\"passed\": false"), r.out());
        assertTrue(r.out().contains("cosine 0.98"), r.out());
    }

    @Test
    void cudaWithoutAGpuBuildIsBadInput() {
        var r = ConvertCommandTest.tailor("validate", "@minilm-q", "--reference", "@minilm", "--ep", "cuda",
                "--batches", "1");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().contains("\ntailor: error: this build of Tailor uses ONNX Runtime's CPU package; build "
                + "with 'mvn -Pcuda package'"), r.err());
        assertTrue(r.err().strip().endsWith("tailor: hint: '--ep cpu' runs on the CPU"), r.err());
    }

    @Test
    void autoSaysItFellBack() {
        var r = ConvertCommandTest.tailor("validate", "@minilm-q", "--reference", "@minilm", "--batches", "1", "--json");
        assertTrue(r.err().contains("\ntailor: note: CUDA is not available"), r.err());
        assertTrue(r.out().contains("\"notices\": [\n    \"CUDA is not available"), r.out());
        assertTrue(r.out().contains("\"execution_provider\": \"cpu\""), r.out());
    }

    @Test
    void benchComparesTwoModels() {
        var r = ConvertCommandTest.tailor("bench", "@minilm-q", "--vs", "@minilm", "--ep", "cpu", "--runs", "6",
                "--warmup", "2", "--json");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().contains("\"p50_ms\""), r.out());
        assertTrue(r.out().contains("\"speedup\""), r.out());
    }
}
