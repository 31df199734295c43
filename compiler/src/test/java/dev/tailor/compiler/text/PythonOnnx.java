package dev.tailor.compiler.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's python3-onnx (onnx 1.12) as the reference parser: {@code onnx.parser.parse_model} on a batch of texts in
 * one Python process. .ci/run installs it; a machine without it fails the tests that need it, with a message.
 */
final class PythonOnnx {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private static final String SCRIPT = """
            import os, sys
            import onnx, onnx.parser
            folder = sys.argv[1]
            print(onnx.__version__)
            for name in sorted(os.listdir(folder)):
                if not name.endswith('.txt'):
                    continue
                base = os.path.join(folder, name[:-4])
                with open(os.path.join(folder, name), encoding='utf-8') as f:
                    text = f.read()
                try:
                    model = onnx.parser.parse_model(text)
                    with open(base + '.pb', 'wb') as out:
                        out.write(model.SerializeToString())
                except Exception as e:
                    with open(base + '.err', 'w', encoding='utf-8') as out:
                        out.write(type(e).__name__ + ': ' + str(e))
            """;

    /** The result for one text: the model python built, or its error. */
    record Parsed(ModelProto model, String error) {}

    private PythonOnnx() {}

    /** Parses every text with onnx.parser.parse_model; returns the results by name and checks the onnx version. */
    static Map<String, Parsed> parseAll(Map<String, String> texts, Path work) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(PYTHON), PYTHON + " is missing: install python3-onnx (.ci/run does)");
        Path folder = Files.createDirectories(work.resolve("python"));
        int i = 0;
        Map<String, String> files = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : texts.entrySet()) {
            String file = String.format("t%05d", i++);
            files.put(e.getKey(), file);
            Files.writeString(folder.resolve(file + ".txt"), e.getValue(), StandardCharsets.UTF_8);
        }
        Path script = work.resolve("parse_all.py");
        Files.writeString(script, SCRIPT);
        Process p = new ProcessBuilder(PYTHON.toString(), script.toString(), folder.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python did not finish");
        assertEquals(0, p.exitValue(), "python failed (is python3-onnx installed? .ci/run installs it):\n" + out);
        assertTrue(out.startsWith("1.12."), "expected Debian's onnx 1.12, found " + out.lines().findFirst().orElse(""));
        Map<String, Parsed> results = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path pb = folder.resolve(e.getValue() + ".pb");
            Path err = folder.resolve(e.getValue() + ".err");
            if (Files.exists(pb)) results.put(e.getKey(), new Parsed(ModelProto.parseFrom(Files.readAllBytes(pb)), null));
            else results.put(e.getKey(), new Parsed(null, Files.exists(err) ? Files.readString(err) : "no result"));
        }
        return results;
    }
}
