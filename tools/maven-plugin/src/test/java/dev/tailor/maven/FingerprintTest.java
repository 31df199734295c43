package dev.tailor.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FingerprintTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsThroughItsFileAndNamesWhatChanged() throws Exception {
        Path model = Files.writeString(dir.resolve("model.onnx"), "weights");
        Fingerprint a = Fingerprint.builder().put("plugin", "1.0").putContent("model.sha256", model)
                .put("pipeline", "prune(count=1)\n| dce").put("calibration.data", null).build();
        Path file = dir.resolve("out/model.onnx.fingerprint");
        a.write(file);
        Fingerprint read = Fingerprint.read(file);
        assertEquals(a, read);
        assertEquals(List.of(), a.changedSince(read));

        Files.writeString(model, "other weights");
        Fingerprint b = Fingerprint.builder().put("plugin", "1.0").putContent("model.sha256", model)
                .put("pipeline", "dce").put("calibration.data", null).put("output.sha256", "x").build();
        assertEquals(List.of("model.sha256", "pipeline", "output.sha256"), b.changedSince(read));
        assertEquals(List.of("model.sha256", "pipeline", "output.sha256"), read.changedSince(b));
    }

    @Test
    void folderHashCoversNamesAndContents() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("input_0.pb"), "a");
        String first = Fingerprint.hashTree(data);
        Files.move(data.resolve("input_0.pb"), data.resolve("input_1.pb"));
        String renamed = Fingerprint.hashTree(data);
        assertNotEquals(first, renamed);
        Files.writeString(data.resolve("input_1.pb"), "b");
        assertNotEquals(renamed, Fingerprint.hashTree(data));
        assertEquals(Fingerprint.hashFile(data.resolve("input_1.pb")), Fingerprint.hashTree(data.resolve("input_1.pb")));
    }

    @Test
    void unreadableOrMissingFileMeansNoFingerprint() throws Exception {
        assertNull(Fingerprint.read(dir.resolve("none")));
        assertNull(Fingerprint.read(Files.writeString(dir.resolve("bad"), "no equals sign here\n")));
    }
}
