package dev.tailor.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Opens ONNX Runtime sessions on an execution provider. {@code cuda} fails with a message naming what is
 * missing; {@code auto} tries CUDA and, on any failure, opens a CPU session with fresh options and records why
 * in the notices. Note that ONNX Runtime's list of available providers only says what the library was built
 * with, not whether a GPU works, so CUDA is judged by actually starting it.
 */
public final class Sessions {
    /** ONNX Runtime 1.19 and later, GPU builds: CUDA 12.x and cuDNN 9.x. */
    static final String CUDA_NEEDS = "an NVIDIA driver, CUDA 12.x and cuDNN 9.x";

    private Sessions() {}

    /**
     * What to open: where, whether CPU fallback is allowed inside a CUDA session, whether to profile, the graph
     * optimization level, intra-op threads (0: ONNX Runtime's default), deterministic kernels, and whether idle
     * intra-op threads spin (quicker for one latency-bound session; with many sessions open, as an evaluator
     * has, spinning pools take the cores from the one running).
     */
    public record Options(ExecutionProvider provider, boolean forbidCpuFallback, boolean profile,
                          OrtSession.SessionOptions.OptLevel optLevel, int threads, boolean deterministic,
                          boolean spinning) {
        public static Options of(ExecutionProvider provider) {
            return new Options(provider, false, false, OrtSession.SessionOptions.OptLevel.ALL_OPT, 0, false, true);
        }

        public Options profiled() {
            return new Options(provider, forbidCpuFallback, true, optLevel, threads, deterministic, spinning);
        }

        public Options withoutCpuFallback() {
            return new Options(provider, true, profile, optLevel, threads, deterministic, spinning);
        }

        public Options withOptLevel(OrtSession.SessionOptions.OptLevel level) {
            return new Options(provider, forbidCpuFallback, profile, level, threads, deterministic, spinning);
        }

        public Options withThreads(int n, boolean deterministicKernels) {
            return new Options(provider, forbidCpuFallback, profile, optLevel, n, deterministicKernels, spinning);
        }

        public Options withoutSpinning() {
            return new Options(provider, forbidCpuFallback, profile, optLevel, threads, deterministic, false);
        }
    }

    /** An open session, the provider it runs on, and notices for the user (such as a CPU fallback). */
    public record Opened(OrtSession session, ExecutionProvider provider, List<String> notices) implements AutoCloseable {
        @Override
        public void close() {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * Ends profiling and lists, per execution provider, the nodes it ran (ONNX Runtime's names, on its
         * optimized graph), from ONNX Runtime's profile.
         */
        public Map<String, Set<String>> nodesByProvider() {
            try {
                Path file = Path.of(session.endProfiling());
                try {
                    return nodes(Files.readString(file));
                } finally {
                    Files.deleteIfExists(file);
                }
            } catch (OrtException | IOException e) {
                throw new IllegalStateException("cannot read ONNX Runtime's profile: " + e.getMessage(), e);
            }
        }
    }

    /** Opens {@code model} (ONNX bytes, every tensor embedded) as {@code options} say. */
    public static Opened open(OrtEnvironment env, byte[] model, Options options) {
        return open(env, new OnnxWriter.InMemory(model, null), options);
    }

    /** Opens a model from the IR without a temporary file; external data is read where it lies. */
    public static Opened open(OrtEnvironment env, Model model, Options options) {
        return open(env, OnnxWriter.inMemory(model), options);
    }

    /** Opens {@code model} as {@code options} say. */
    public static Opened open(OrtEnvironment env, OnnxWriter.InMemory model, Options options) {
        List<String> notices = new ArrayList<>();
        ExecutionProvider ep = options.provider();
        if (ep == ExecutionProvider.CUDA || ep == ExecutionProvider.AUTO) {
            try {
                return new Opened(create(env, model, options, true), ExecutionProvider.CUDA, notices);
            } catch (ExecutionProviderException e) {
                if (ep == ExecutionProvider.CUDA) throw e;
                notices.add("CUDA is not available (" + e.getMessage() + "); running on the CPU");
            }
        }
        return new Opened(create(env, model, options, false), ExecutionProvider.CPU, notices);
    }

    private static OrtSession create(OrtEnvironment env, OnnxWriter.InMemory model, Options o, boolean cuda) {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setOptimizationLevel(o.optLevel());
            if (o.threads() > 0) so.setIntraOpNumThreads(o.threads());
            if (o.deterministic()) so.setDeterministicCompute(true);
            if (!o.spinning()) so.addConfigEntry("session.intra_op.allow_spinning", "0");
            if (model.externalFolder() != null)
                so.addConfigEntry("session.model_external_initializers_file_folder_path",
                        model.externalFolder().toString());
            if (o.profile()) so.enableProfiling(Files.createTempFile("tailor-ort-profile", "").toString());
            if (cuda) {
                try {
                    so.addCUDA(0);
                } catch (OrtException | UnsatisfiedLinkError e) {
                    throw new ExecutionProviderException("this build of Tailor uses ONNX Runtime's CPU package; build "
                            + "with 'mvn -Pcuda package' (onnxruntime_gpu) and provide " + CUDA_NEEDS
                            + " [ONNX Runtime: " + firstLine(e.getMessage()) + "]", e);
                }
                if (o.forbidCpuFallback()) so.addConfigEntry("session.disable_cpu_ep_fallback", "1");
            }
            try {
                return env.createSession(model.bytes(), so);
            } catch (OrtException e) {
                if (cuda)
                    throw new ExecutionProviderException("the CUDA execution provider failed to start the model; check "
                            + "the GPU driver (nvidia-smi) and that " + CUDA_NEEDS + " libraries are on the library path"
                            + (o.forbidCpuFallback() ? ", or that every operator has a CUDA kernel (CPU fallback is off)" : "")
                            + " [ONNX Runtime: " + firstLine(e.getMessage()) + "]", e);
                throw new IllegalStateException("ONNX Runtime cannot load the model: " + firstLine(e.getMessage()), e);
            }
        } catch (OrtException | IOException e) {
            throw new IllegalStateException("cannot configure ONNX Runtime: " + e.getMessage(), e);
        } finally {
            so.close();
        }
    }

    /** The distinct nodes per execution provider in a profile's node events. */
    @SuppressWarnings("unchecked")
    static Map<String, Set<String>> nodes(String profileJson) {
        Object parsed = Json.parse(profileJson);
        List<Object> events = parsed instanceof List<?> l ? (List<Object>) l : List.of();
        Map<String, Set<String>> nodes = new TreeMap<>();
        for (Object o : events) {
            if (!(o instanceof Map<?, ?> e) || !"Node".equals(e.get("cat"))) continue;
            Object name = e.get("name");
            Object args = e.get("args");
            if (!(name instanceof String n) || !n.endsWith("_kernel_time") || !(args instanceof Map<?, ?> a)) continue;
            Object provider = a.get("provider");
            if (provider instanceof String p)
                nodes.computeIfAbsent(p, k -> new java.util.TreeSet<>()).add(n.substring(0, n.length() - "_kernel_time".length()));
        }
        return nodes;
    }

    /** Node counts per provider. */
    public static Map<String, Integer> counts(Map<String, Set<String>> nodes) {
        Map<String, Integer> counts = new TreeMap<>();
        nodes.forEach((p, s) -> counts.put(p, s.size()));
        return counts;
    }

    private static String firstLine(String s) {
        if (s == null) return "no message";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
