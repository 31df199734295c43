package dev.tailor.bench;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.testdata.ModelZoo;
import dev.tailor.testdata.SyntheticModels;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The I/O benchmark: Tailor's ONNX reader and writer side by side with python-onnx ({@code onnx.load} +
 * {@code onnx.save}) in the same run, on all-MiniLM-L6-v2 and on a generated model with external data.
 * Reports medians and ratios (python time / Tailor time: above 1 means Tailor is faster).
 *
 * <pre>tools/bench/run io [--reps N] [--large-gb G] [--work DIR] [--python EXE]</pre>
 */
public final class IoBench {
    private int reps = 10;
    private double largeGb = 2.5;
    private Path work = Path.of("target", "bench");
    private String python = "/usr/bin/python3";
    private final Path root = Path.of("").toAbsolutePath();

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(Path.of(args[1]), Path.of(args[2]));
            return;
        }
        IoBench b = new IoBench();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--reps" -> b.reps = Integer.parseInt(args[++i]);
                case "--large-gb" -> b.largeGb = Double.parseDouble(args[++i]);
                case "--work" -> b.work = Path.of(args[++i]);
                case "--python" -> b.python = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; use --reps N, --large-gb G, --work DIR, --python EXE");
            }
        }
        b.run();
    }

    private void run() throws Exception {
        Files.createDirectories(work);
        System.out.printf(Locale.ROOT, "# Tailor I/O benchmark (%s, %d cores, java %s)%n%n",
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        Path minilm = ModelZoo.ALL_MINILM_L6_V2.model();
        benchModel("all-MiniLM-L6-v2 (" + mb(Files.size(minilm)) + ", embedded weights)", minilm, reps, false);

        if (largeGb > 0) {
            Path large = work.resolve("large/linear-stack.onnx");
            long want = (long) (largeGb * (1L << 30));
            Path data = large.resolveSibling("linear-stack.onnx.data");
            if (!Files.exists(data) || Files.size(data) < want) {
                Files.createDirectories(large.getParent());
                System.out.printf("generating a %.1f GiB model with external data in %s ...%n%n", largeGb,
                        large.getParent());
                SyntheticModels.writeLinearStack(large, want, 4096);
            }
            benchModel("generated linear stack (" + mb(Files.size(data)) + " external data)", large,
                    Math.max(1, Math.min(reps, 2)), true);
        }
    }

    private void benchModel(String title, Path model, int n, boolean external) throws Exception {
        System.out.println("## " + title);
        Path out = work.resolve("out");
        Files.createDirectories(out);
        OnnxWriter.Options options = external ? OnnxWriter.Options.defaults().withExternalDataThreshold(1024L)
                : OnnxWriter.Options.defaults();

        // Tailor in this JVM, after warm-up; "touch" reads every weight byte once (what python's load does).
        for (int i = 0; i < Math.min(n, 3); i++) OnnxWriter.write(OnnxReader.read(model), out.resolve("w.onnx"), options);
        double[] load = new double[n], touch = new double[n], save = new double[n];
        long heapPeak = 0;
        for (int i = 0; i < n; i++) {
            System.gc();
            resetHeapPeaks();
            long t0 = System.nanoTime();
            Model m = OnnxReader.read(model);
            long t1 = System.nanoTime();
            long sum = touchAll(m);
            long t2 = System.nanoTime();
            OnnxWriter.write(m, out.resolve("tailor.onnx"), options);
            long t3 = System.nanoTime();
            heapPeak = Math.max(heapPeak, heapPeak());
            load[i] = (t1 - t0) / 1e6;
            touch[i] = (t2 - t1) / 1e6;
            save[i] = (t3 - t2) / 1e6;
            if (sum == 42) System.out.print(""); // keep the checksum alive
        }
        deleteOutputs(out, "tailor.onnx");
        deleteOutputs(out, "w.onnx");

        // python-onnx in one process.
        String json = exec(List.of(python, root.resolve("tools/bench/python/onnx_io_bench.py").toString(),
                model.toString(), out.toString(), Integer.toString(n), external ? "external" : "embedded"));
        double[] pyLoad = numbers(json, "load_ms");
        double[] pySave = numbers(json, "save_ms");
        double pyRss = numbers(json, "max_rss_mb")[0];

        System.out.println();
        System.out.println("| in-process, median of " + n + " | Tailor | python-onnx " + string(json, "onnx")
                + " | python / Tailor |");
        System.out.println("|---|---|---|---|");
        row("load", median(load), median(pyLoad));
        row("load + read every weight byte", median(load) + median(touch), median(pyLoad));
        row("save", median(save), median(pySave));
        row("load + save", median(load) + median(save), median(pyLoad) + median(pySave));
        System.out.printf(Locale.ROOT, "| peak memory | %.0f MB heap | %.0f MB resident | |%n", heapPeak / 1e6, pyRss);

        // Whole processes, as a user runs them.
        int runs = external ? 2 : 5;
        List<String> tailorCmd = new ArrayList<>(List.of(root.resolve("tailor").toString(), "convert",
                model.toString(), out.resolve("cli.onnx").toString()));
        if (external) tailorCmd.addAll(List.of("--external-data-threshold", "1024"));
        String saveArgs = external ? ", save_as_external_data=True, location='py.onnx.data', size_threshold=1024" : "";
        List<String> pyCmd = List.of(python, "-c", "import onnx, sys; onnx.save(onnx.load(sys.argv[1]), sys.argv[2]"
                + saveArgs + ")", model.toString(), out.resolve("py.onnx").toString());
        exec(tailorCmd); // builds if needed, warms the page cache
        double[] tailorWall = new double[runs], pyWall = new double[runs];
        for (int i = 0; i < runs; i++) {
            tailorWall[i] = timed(tailorCmd);
            pyWall[i] = timed(pyCmd);
        }
        deleteOutputs(out, "cli.onnx");
        deleteOutputs(out, "py.onnx");
        System.out.println();
        System.out.println("| whole process, median of " + runs + " | `./tailor convert` | python -c "
                + "'onnx.save(onnx.load(...))' | python / Tailor |");
        System.out.println("|---|---|---|---|");
        row("read + write", median(tailorWall), median(pyWall));

        if (external) {
            // The same load in a JVM limited to 128 MB of heap: weights stay mapped, never on the heap.
            String child = exec(List.of(javaExe(), "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                    IoBench.class.getName(), "child", model.toString(), out.resolve("child.onnx").toString()));
            deleteOutputs(out, "child.onnx");
            System.out.println();
            System.out.println("With -Xmx128m: " + child.strip());
        }
        System.out.println();
    }

    /** Load, read every byte, and save in a JVM started with a small heap; prints what it measured. */
    private static void child(Path model, Path out) {
        resetHeapPeaks();
        long t0 = System.nanoTime();
        Model m = OnnxReader.read(model);
        long t1 = System.nanoTime();
        long sum = touchAll(m);
        long t2 = System.nanoTime();
        OnnxWriter.Result r = OnnxWriter.write(m, out, OnnxWriter.Options.defaults().withExternalDataThreshold(1024L));
        long t3 = System.nanoTime();
        System.out.printf(Locale.ROOT, "load %.0f ms, read all %s of weights %.0f ms, save %.0f ms, peak heap "
                        + "%.1f MB, %d initializers (checksum %x)%n", (t1 - t0) / 1e6, mb(r.dataBytes()),
                (t2 - t1) / 1e6, (t3 - t2) / 1e6, heapPeak() / 1e6, m.graph().initializers().size(), sum);
    }

    /** Reads every initializer byte (a long at a time), so lazily mapped data is really paged in. */
    static long touchAll(Model m) {
        long sum = 0;
        for (Value v : m.graph().initializers()) {
            ByteBuffer b = v.initializer().bytes();
            while (b.remaining() >= 8) sum += b.getLong();
            while (b.hasRemaining()) sum += b.get();
        }
        return sum;
    }

    private static void resetHeapPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
    }

    private static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getType() == MemoryType.HEAP) sum += p.getPeakUsage().getUsed();
        return sum;
    }

    private static void row(String what, double tailor, double python) {
        System.out.printf(Locale.ROOT, "| %s | %.1f ms | %.1f ms | %.2f× |%n", what, tailor, python, python / tailor);
    }

    private static double timed(List<String> cmd) throws IOException, InterruptedException {
        long t = System.nanoTime();
        exec(cmd);
        return (System.nanoTime() - t) / 1e6;
    }

    private static String exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("failed (" + p.exitValue() + "): " + String.join(" ", cmd));
        return out;
    }

    private static String javaExe() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void deleteOutputs(Path dir, String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
        Files.deleteIfExists(dir.resolve(name + ".data"));
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double[] numbers(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*(\\[[^\\]]*\\]|[-0-9.eE]+)").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + key + " in " + json);
        String v = m.group(1).replace("[", "").replace("]", "");
        return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToDouble(Double::parseDouble).toArray();
    }

    private static String string(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : "?";
    }

    private static String mb(long bytes) {
        return bytes >= (1L << 30) ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
