package dev.tailor.compiler.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The conformance models and what Debian's python3-onnx says about them, through
 * {@code src/test/resources/onnx_reference.py} run with {@code /usr/bin/python3} (CI installs python3-onnx).
 */
final class OnnxReference {
    static final Path DATA = Path.of("/usr/share/libonnx-testdata/data");
    static final List<String> SUITES = List.of("node", "simple", "pytorch-converted", "pytorch-operator");
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private OnnxReference() {}

    /** Every conformance model, sorted. */
    static List<Path> models() throws IOException {
        assertTrue(Files.isDirectory(DATA), DATA + " is missing: install Debian's libonnx-testdata (.ci/run does)");
        List<Path> models = new ArrayList<>();
        for (String suite : SUITES) {
            try (Stream<Path> s = Files.walk(DATA.resolve(suite))) {
                s.filter(p -> p.getFileName().toString().equals("model.onnx")).sorted().forEach(models::add);
            }
        }
        assertEquals(1072, models.size(), "expected the 1,072 conformance models of libonnx-testdata");
        return models;
    }

    /** The script's output lines for {@code mode} (check or infer) over every suite. */
    static List<String> run(String mode) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(PYTHON), PYTHON + " is missing: install Debian's python3-onnx");
        Path script;
        try {
            script = Path.of(OnnxReference.class.getResource("/onnx_reference.py").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script.toString(), mode, DATA.toString()));
        cmd.addAll(SUITES);
        Path err = Files.createTempFile("onnx-reference", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "onnx_reference.py did not finish");
            String stderr = Files.readString(err);
            assertEquals(0, p.exitValue(), "onnx_reference.py " + mode + " failed (is python3-onnx installed?):\n" + stderr);
            return new String(out, StandardCharsets.UTF_8).lines().toList();
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
