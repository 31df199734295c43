package dev.tailor.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The data files of these tests, written once per test run by {@code make_fixtures.py} with Debian's
 * python3-numpy and python3-onnx (which .ci/run installs), so that they are what NumPy and onnx really write.
 */
final class Fixtures {
    static final Path PYTHON = Path.of("/usr/bin/python3");
    private static Path dir;

    private Fixtures() {}

    static synchronized Path dir() {
        if (dir != null) return dir;
        assertTrue(Files.isExecutable(PYTHON), PYTHON + " is missing: install python3-onnx (.ci/run does)");
        try {
            Path folder = Files.createTempDirectory("tailor-data-fixtures");
            Path script = folder.resolve("make_fixtures.py");
            try (InputStream in = Fixtures.class.getResourceAsStream("make_fixtures.py")) {
                Files.copy(in, script);
            }
            Process p = new ProcessBuilder(PYTHON.toString(), script.toString(), folder.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "make_fixtures.py timed out");
            assertEquals(0, p.exitValue(), "make_fixtures.py failed (python3-numpy and python3-onnx installed?):\n" + out);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(folder)));
            dir = folder;
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Path file(String name) {
        return dir().resolve(name);
    }

    /** Checks {@code t} against NAME.bytes and NAME.shape, the C-order little-endian values NumPy gave. */
    static void assertSameAsNumpy(String name, Tensor t) {
        try {
            byte[] expected = Files.readAllBytes(file(name + ".bytes"));
            String shape = Files.readString(file(name + ".shape")).strip();
            long[] dims = shape.isEmpty() ? new long[0]
                    : Arrays.stream(shape.split(" ")).mapToLong(Long::parseLong).toArray();
            assertArrayEquals(dims, t.dims(), name + ": shape");
            assertEquals(ByteBuffer.wrap(expected), t.bytes(), name + ": values");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A copy of {@code source} in {@code dir} named {@code name}, cut to its first {@code length} bytes. */
    static Path truncatedCopy(Path source, Path dir, String name, long length) throws IOException {
        byte[] bytes = Files.readAllBytes(source);
        Path out = dir.resolve(name);
        Files.write(out, Arrays.copyOf(bytes, (int) length));
        return out;
    }

    private static void delete(Path folder) {
        try (Stream<Path> s = Files.walk(folder)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary folder is harmless
        }
    }
}
