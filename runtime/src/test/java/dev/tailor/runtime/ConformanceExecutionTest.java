package dev.tailor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves the ONNX reader and writer on ONNX's own conformance models by execution: every model of Debian's
 * {@code libonnx-testdata} is read into the IR, written back as bytes, run on ONNX Runtime (CPU) with the test
 * case's inputs, and its outputs compared with the reference outputs (rtol 1e-3, atol 1e-7, the ONNX backend
 * test defaults).
 *
 * <p>A model is skipped, with a reason, when ONNX Runtime cannot load or run it, when its inputs or outputs are
 * not tensors, or when their element type cannot cross the Java API. When the re-emitted model's outputs differ
 * from the reference, the original file is run too: if it gives the same outputs, ONNX Runtime deviates from
 * the reference by itself and the model is skipped; only a difference between the original and the re-emitted
 * model (or a load/run failure that the original does not share, or a reader/writer crash) is a failure.
 */
class ConformanceExecutionTest {
    private static final Path DATA = Path.of("/usr/share/libonnx-testdata/data");
    private static final List<String> SUITES = List.of("node", "simple", "pytorch-converted", "pytorch-operator");
    private static final double RTOL = 1e-3;
    private static final double ATOL = 1e-7;
    /** Measured: 943 of the 1,072 models run and pass with ONNX Runtime 1.22.0 (CPU); the floor leaves some room. */
    private static final int MIN_PASSED = 930;

    /** {@code -Dconformance.verbose=true} lists every skipped model with the details. */
    private static final boolean VERBOSE = Boolean.getBoolean("conformance.verbose");

    private static OrtEnvironment env;
    private static OrtSession.SessionOptions options;

    @BeforeAll
    static void startRuntime() throws OrtException {
        env = OrtEnvironment.getEnvironment(); // shared by the JVM's tests; sessions log only fatal errors
        options = new OrtSession.SessionOptions();
        // No graph optimizations: cheaper sessions, and the kernels ONNX Runtime runs are the model's own nodes.
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
    }

    @AfterAll
    static void stopRuntime() {
        if (options != null) options.close();
    }

    /** Why a model did not count as passed. */
    private static class Skip extends Exception {
        final String detail;

        Skip(String reason) {
            this(reason, null);
        }

        Skip(String reason, String detail) {
            super(reason, null, false, false);
            this.detail = detail;
        }
    }

    /** ONNX Runtime failed while running a model it had loaded. */
    private static final class RunFailure extends Skip {
        RunFailure(String reason) {
            super(reason);
        }
    }

    @Test
    void reEmittedConformanceModelsRunLikeTheReference() throws IOException {
        if (!Files.isDirectory(DATA))
            fail(DATA + " is missing: install Debian's libonnx-testdata package (apt-get install libonnx-testdata), "
                    + "which holds ONNX's conformance test models");
        List<Path> models = new ArrayList<>();
        for (String suite : SUITES) {
            Path dir = DATA.resolve(suite);
            if (!Files.isDirectory(dir))
                fail(dir + " is missing: reinstall Debian's libonnx-testdata package");
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> p.getFileName().toString().equals("model.onnx")).sorted().forEach(models::add);
            }
        }

        long start = System.nanoTime();
        int passed = 0;
        Map<String, List<String>> skipped = new TreeMap<>();
        Map<String, String> failed = new LinkedHashMap<>();
        for (Path model : models) {
            String name = DATA.relativize(model.getParent()).toString();
            try {
                checkModel(model);
                passed++;
            } catch (Skip s) {
                skipped.computeIfAbsent(s.getMessage(), k -> new ArrayList<>()).add(name);
                if (VERBOSE) System.out.println("skip " + name + ": " + s.getMessage()
                        + (s.detail != null ? " -- " + s.detail : ""));
            } catch (AssertionError | Exception e) {
                failed.put(name, String.valueOf(e));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        int skippedCount = skipped.values().stream().mapToInt(List::size).sum();
        StringBuilder report = new StringBuilder();
        report.append(String.format("%nONNX conformance models through OnnxReader -> OnnxWriter -> ONNX Runtime %s"
                + " (%.1f s)%n", env.getVersion(), seconds));
        report.append(String.format("  %-8s %5d%n", "models", models.size()));
        report.append(String.format("  %-8s %5d%n", "passed", passed));
        report.append(String.format("  %-8s %5d%n", "skipped", skippedCount));
        report.append(String.format("  %-8s %5d%n", "FAILED", failed.size()));
        report.append("Skip reasons:\n");
        skipped.entrySet().stream()
                .sorted((a, b) -> b.getValue().size() - a.getValue().size())
                .forEach(e -> report.append(String.format("  %4d  %s  (e.g. %s)%n", e.getValue().size(), e.getKey(),
                        String.join(", ", e.getValue().subList(0, Math.min(3, e.getValue().size()))))));
        if (!failed.isEmpty()) {
            report.append("FAILED:\n");
            failed.forEach((k, v) -> report.append("  ").append(k).append(": ").append(v).append('\n'));
        }
        System.out.print(report);

        assertEquals(models.size(), passed + skippedCount + failed.size());
        assertTrue(failed.isEmpty(), failed.size() + " conformance models failed:\n" + String.join("\n",
                failed.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList()));
        assertTrue(passed >= MIN_PASSED, "only " + passed + " models ran and passed; expected at least "
                + MIN_PASSED);
    }

    /** Runs one model's test cases; returns normally when all pass, throws Skip or a failure otherwise. */
    private static void checkModel(Path file) throws Exception {
        Model model = OnnxReader.read(file);
        byte[] reEmitted = OnnxWriter.toBytes(model);
        Graph graph = model.graph();

        List<Value> inputs = new ArrayList<>();
        for (Value v : graph.inputs()) if (v.initializer() == null) inputs.add(v);
        for (Value v : inputs)
            if (v.type() != null && !(v.type() instanceof Type.Tensor)) throw new Skip("non-tensor input");
        for (Value v : graph.outputs())
            if (v.type() != null && !(v.type() instanceof Type.Tensor)) throw new Skip("non-tensor output");

        List<Path> cases;
        try (Stream<Path> s = Files.list(file.getParent())) {
            cases = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_") && Files.isDirectory(p))
                    .sorted().toList();
        }
        if (cases.isEmpty()) throw new Skip("no test_data_set folder");

        try (OrtSession session = createSession(reEmitted, file)) {
            for (Path dir : cases) checkCase(session, file, dir, inputs, graph.outputs());
        }
    }

    /**
     * A session over the re-emitted bytes. If ONNX Runtime refuses them, it must refuse the original file too
     * (a skip); refusing only the re-emitted model is a writer failure.
     */
    private static OrtSession createSession(byte[] reEmitted, Path original) throws Exception {
        try {
            return env.createSession(reEmitted, options);
        } catch (OrtException e) {
            try (OrtSession s = env.createSession(Files.readAllBytes(original), options)) {
                throw new AssertionError("ONNX Runtime loads the original model but not the re-emitted one: "
                        + e.getMessage());
            } catch (OrtException again) {
                throw new Skip("ORT cannot load the model: " + kind(again));
            }
        }
    }

    private static void checkCase(OrtSession session, Path file, Path dir, List<Value> inputs, List<Value> outputs)
            throws Exception {
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (int i = 0; ; i++) {
            Path pb = dir.resolve("input_" + i + ".pb");
            if (!Files.exists(pb)) break;
            if (i >= inputs.size())
                throw new AssertionError(dir.getFileName() + " has " + (i + 1) + " inputs, the graph only "
                        + inputs.size());
            feeds.put(inputs.get(i).name(), asDeclared(readTensor(pb, "non-tensor input"), inputs.get(i)));
        }
        List<Tensor> expected = new ArrayList<>();
        for (int i = 0; ; i++) {
            Path pb = dir.resolve("output_" + i + ".pb");
            if (!Files.exists(pb)) break;
            expected.add(readTensor(pb, "non-tensor output"));
        }
        for (int i = 0; i < expected.size() && i < outputs.size(); i++)
            expected.set(i, asDeclared(expected.get(i), outputs.get(i)));
        if (expected.size() != outputs.size())
            throw new AssertionError(dir.getFileName() + " has " + expected.size() + " outputs, the graph "
                    + outputs.size());

        List<Tensor> actual;
        try {
            actual = run(session, feeds, outputs);
        } catch (RunFailure f) {
            // A skip only if the original model fails to run as well.
            try (OrtSession s = env.createSession(Files.readAllBytes(file), options)) {
                run(s, feeds, outputs);
            } catch (RunFailure again) {
                throw again;
            }
            throw new AssertionError(dir.getFileName() + ": ONNX Runtime runs the original model but not the "
                    + "re-emitted one: " + f.getMessage());
        }
        List<String> differences = differences(actual, expected, RTOL, ATOL);
        if (differences.isEmpty()) return;

        // The re-emitted model disagrees with the reference: does the original file disagree the same way?
        List<Tensor> original;
        try (OrtSession s = env.createSession(Files.readAllBytes(file), options)) {
            original = run(s, feeds, outputs);
        }
        List<String> betweenRuns = differences(actual, original, 0, 0);
        if (betweenRuns.isEmpty()) throw new Skip("ORT deviates from the reference on the original model too",
                    String.join("; ", differences));
        throw new AssertionError(dir.getFileName() + ": re-emitted model differs from the reference "
                + differences + " and from the original model's run " + betweenRuns);
    }

    /** Runs the session and returns the outputs in graph order, as IR tensors. */
    private static List<Tensor> run(OrtSession session, Map<String, Tensor> feeds, List<Value> outputs)
            throws Skip, OrtException {
        Map<String, OnnxTensor> ortFeeds = new HashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : feeds.entrySet()) {
                try {
                    ortFeeds.put(e.getKey(), OrtTensors.toOrt(env, e.getValue()));
                } catch (UnsupportedOperationException u) {
                    throw new Skip("unsupported dtype: input of " + typeName(e.getValue()));
                }
            }
            OrtSession.Result result;
            try {
                result = session.run(ortFeeds);
            } catch (OrtException e) {
                throw new RunFailure("ORT cannot run the model: " + kind(e));
            }
            try (result) {
                List<Tensor> out = new ArrayList<>();
                for (Value v : outputs) {
                    OnnxValue value = result.get(v.name()).orElseThrow(
                            () -> new AssertionError("ONNX Runtime returned no output '" + v.name() + "'"));
                    if (!(value instanceof OnnxTensor t)) throw new Skip("non-tensor output");
                    try {
                        out.add(OrtTensors.fromOrt(v.name(), t));
                    } catch (UnsupportedOperationException u) {
                        throw new Skip("unsupported dtype: output of " + t.getInfo().onnxType);
                    }
                }
                return out;
            }
        } finally {
            for (OnnxTensor t : ortFeeds.values()) t.close();
        }
    }

    private static List<String> differences(List<Tensor> actual, List<Tensor> expected, double rtol, double atol) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            Comparison.Result r = Comparison.allClose(actual.get(i), expected.get(i), rtol, atol);
            if (!r.passed()) out.add("output " + i + ": " + r);
        }
        return out;
    }

    private static Tensor readTensor(Path pb, String skipReason) throws Skip {
        try {
            return OnnxReader.readTensor(pb);
        } catch (ModelFormatException e) {
            throw new Skip(skipReason);
        }
    }

    /**
     * ONNX's older test data stores BFLOAT16 values as UINT16 tensors (numpy has no bfloat16); such a tensor is
     * reinterpreted, bits unchanged, as the BFLOAT16 the graph declares. Anything else is returned as it is.
     */
    private static Tensor asDeclared(Tensor t, Value declaredBy) {
        if (declaredBy.type() instanceof Type.Tensor tt && tt.elementType() == DataType.BFLOAT16
                && t.dataType() == DataType.UINT16)
            return Tensor.of(t.name(), DataType.BFLOAT16, t.dims(), t.data());
        return t;
    }

    private static String typeName(Tensor t) {
        return t.dataType() != null ? t.dataType().toString() : "type #" + t.rawDataType();
    }

    private static final Pattern NO_KERNEL = Pattern.compile("Could not find an implementation for (\\w+)\\((\\d+)\\)");
    private static final Pattern PREFIX = Pattern.compile("^Error code - \\w+ - message: (Exception during initialization: )?");
    private static final Pattern RUNNING = Pattern.compile(
            "Non-zero status code returned while running (\\w+) node\\. Name:'[^']*' Status Message: ");
    /** A C++ source location and the function signature after it, as in "/onnxruntime_src/x.cc:52 ns::F(...) ". */
    private static final Pattern SOURCE = Pattern.compile("/onnxruntime_src/\\S+:\\d+ (.*?\\)(::<lambda\\(\\)>)?"
            + "( \\[with [^\\]]*\\])? )?");

    /**
     * The kind of an ONNX Runtime failure, for grouping: the error code and the first line of the message, without
     * node names, source locations or C++ signatures.
     */
    static String kind(OrtException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        int nl = msg.indexOf('\n');
        if (nl >= 0) msg = msg.substring(0, nl);
        Matcher m = NO_KERNEL.matcher(msg);
        if (m.find()) return e.getCode() + ": no CPU kernel for " + m.group(1) + "(" + m.group(2) + ")";
        msg = PREFIX.matcher(msg).replaceFirst("");
        msg = RUNNING.matcher(msg).replaceFirst("$1: ");
        msg = SOURCE.matcher(msg).replaceAll("");
        if (msg.length() > 160) msg = msg.substring(0, 157) + "...";
        return e.getCode() + ": " + msg;
    }
}
