package dev.tailor.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code tailor} command run as a user runs it: a child JVM on the test classpath, with real files, its stdout
 * and stderr captured apart, and internal-error logs kept in a folder of the test's.
 */
final class TailorProcess {
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Path logs;

    TailorProcess(Path logs) {
        this.logs = logs;
    }

    Result run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Most runs are short: the client compiler alone starts faster, and ONNX Runtime does the heavy work natively.
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.tailor.cli.Main");
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(logs, "stdout", ".txt");
            Path err = Files.createTempFile(logs, "stderr", ".txt");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("TAILOR_LOG_DIR", logs.toString());
            Process p = pb.start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("tailor " + String.join(" ", args) + " ran for more than 5 minutes");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run tailor: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
