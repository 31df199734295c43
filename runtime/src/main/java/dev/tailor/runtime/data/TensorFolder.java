package dev.tailor.runtime.data;

import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.onnx.OnnxReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Folders of input batches, in the layouts the ONNX conformance suite and NumPy users write:
 * <ul>
 *   <li>{@code input_0.pb}, {@code input_1.pb}, ... (serialized {@code TensorProto}s): one batch, the N-th file
 *       feeding the model's N-th non-initializer input; or each input by its tensor's name, when every file
 *       names one of the model's inputs;</li>
 *   <li>{@code test_data_set_0/}, {@code test_data_set_1/}, ... each holding such files (a conformance test
 *       case's folder): one batch per folder, in numeric order;</li>
 *   <li>{@code .npz} and {@code .npy} files: one batch per file, in name order.</li>
 * </ul>
 * {@code output_N.pb} files (expected outputs) are ignored.
 */
final class TensorFolder {
    private static final Pattern INPUT = Pattern.compile("input_(\\d+)\\.pb");
    private static final Pattern DATA_SET = Pattern.compile("test_data_set_(\\d+)");

    private TensorFolder() {}

    /** A batch and the folder or file it came from (for messages). */
    record Batch(Map<String, Tensor> tensors, Path source) {}

    static List<Batch> read(Path dir, ModelInputs inputs) {
        List<Path> entries = list(dir);
        if (entries.stream().anyMatch(p -> INPUT.matcher(name(p)).matches()))
            return List.of(new Batch(pbBatch(dir, entries, inputs), dir));

        TreeMap<Long, Path> dataSets = new TreeMap<>();
        for (Path p : entries) {
            Matcher m = DATA_SET.matcher(name(p));
            if (m.matches() && Files.isDirectory(p)) dataSets.put(Long.parseLong(m.group(1)), p);
        }
        if (!dataSets.isEmpty()) {
            List<Batch> out = new ArrayList<>();
            for (Path set : dataSets.values()) {
                List<Path> files = list(set);
                if (files.stream().noneMatch(p -> INPUT.matcher(name(p)).matches()))
                    throw new DataException(set + ": no input_N.pb files");
                out.add(new Batch(pbBatch(set, files, inputs), set));
            }
            return out;
        }

        List<Path> arrays = entries.stream().filter(p -> Files.isRegularFile(p)
                && (name(p).endsWith(".npz") || name(p).endsWith(".npy"))).sorted(Comparator.comparing(TensorFolder::name)).toList();
        if (!arrays.isEmpty()) {
            List<Batch> out = new ArrayList<>();
            for (Path p : arrays) out.add(new Batch(DataSources.readArrays(p, inputs), p));
            return out;
        }
        throw new DataException(dir + ": no input_N.pb files, test_data_set_N folders, or .npy/.npz files");
    }

    /** The batch of the {@code input_N.pb} files among {@code files}. */
    private static Map<String, Tensor> pbBatch(Path dir, List<Path> files, ModelInputs inputs) {
        TreeMap<Long, Path> numbered = new TreeMap<>();
        for (Path p : files) {
            Matcher m = INPUT.matcher(name(p));
            if (m.matches()) numbered.put(Long.parseLong(m.group(1)), p);
        }
        List<String> names = inputs.requiredNames();
        Map<Long, Tensor> tensors = new TreeMap<>();
        for (Map.Entry<Long, Path> e : numbered.entrySet()) {
            try {
                tensors.put(e.getKey(), OnnxReader.readTensor(e.getValue()));
            } catch (ModelFormatException x) {
                throw new DataException(x.getMessage(), x);
            }
        }
        // By name when every tensor names a distinct model input; else by position, as the conformance runner does.
        Set<String> tensorNames = new HashSet<>();
        boolean byName = true;
        for (Tensor t : tensors.values())
            byName &= t.name() != null && names.contains(t.name()) && tensorNames.add(t.name());
        Map<String, Tensor> batch = new LinkedHashMap<>();
        for (Map.Entry<Long, Tensor> e : tensors.entrySet()) {
            long n = e.getKey();
            if (byName) {
                batch.put(e.getValue().name(), e.getValue());
            } else if (n < names.size()) {
                batch.put(names.get((int) n), e.getValue().withName(names.get((int) n)));
            } else {
                throw new DataException(numbered.get(n) + ": the model has " + names.size() + " input"
                        + (names.size() == 1 ? "" : "s") + " (" + String.join(", ", names) + "), so there is no input " + n);
            }
        }
        return batch;
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new DataException(dir + ": cannot list the folder: " + e.getMessage(), e);
        }
    }

    private static String name(Path p) {
        return p.getFileName().toString();
    }
}
