package dev.tailor.runtime.data;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.onnx.OnnxReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Opens calibration and test data for a model ({@code --calibration FILE|DIR}, {@code --inputs}):
 * <ul>
 *   <li>no path: {@link SyntheticData synthetic data} made from the model's input types; its description starts
 *       with "synthetic";</li>
 *   <li>{@code .npy}: the one array of the model's only input (a model with several inputs needs {@code .npz});</li>
 *   <li>{@code .npz}: arrays keyed by input name;</li>
 *   <li>{@code .pb}: a serialized {@code TensorProto} for the model's only input;</li>
 *   <li>a folder: {@code input_N.pb} files, {@code test_data_set_N} folders of them, or {@code .npy}/{@code .npz}
 *       files, one batch each (see {@link TensorFolder});</li>
 *   <li>any other file: text, one sentence per line, tokenized with a Hugging Face {@code tokenizer.json}
 *       (see {@link TextData}).</li>
 * </ul>
 * A file is recognized by its content when its name says nothing ({@code \x93NUMPY} or a zip header), and read as
 * its extension says otherwise, so that a damaged {@code .npz} is reported as one.
 *
 * <p>Guarantee: every batch of the returned dataset fits the model's inputs (see {@link Dataset}); anything that
 * does not fails with a {@link DataException} naming the file, the array, what the model expects and what the
 * file holds.
 */
public final class DataSources {
    private DataSources() {}

    /** Data for {@code model} from {@code path}, or synthetic data when {@code path} is null. */
    public static Dataset open(Path path, Model model, DataOptions options) {
        ModelInputs inputs = new ModelInputs(model);
        if (path == null) {
            Dataset synthetic = SyntheticData.dataset(model, options);
            for (Map<String, Tensor> b : synthetic.batches()) inputs.check(b, "synthetic data");
            return synthetic;
        }
        if (Files.isDirectory(path)) {
            List<TensorFolder.Batch> read = TensorFolder.read(path, inputs);
            List<Map<String, Tensor>> batches = new ArrayList<>();
            List<String> sources = new ArrayList<>();
            for (TensorFolder.Batch b : read) {
                for (Map<String, Tensor> part : split(b.tensors(), options.batchSize(), b.source().toString())) {
                    batches.add(part);
                    sources.add(b.source().toString());
                }
            }
            return finish(path, batches, sources, inputs, options, read.size() + " file" + (read.size() == 1 ? "" : "s"));
        }
        if (!Files.isRegularFile(path)) throw new DataException(path + ": no such file or folder");
        String kind = kind(path);
        if (kind.equals("text")) {
            Dataset text = TextData.read(path, model, inputs, options);
            for (Map<String, Tensor> b : text.batches()) inputs.check(b, path.toString());
            return text;
        }
        Map<String, Tensor> arrays = readArrays(path, inputs);
        List<Map<String, Tensor>> batches = split(arrays, options.batchSize(), path.toString());
        List<String> sources = batches.stream().map(b -> path.toString()).toList();
        return finish(path, batches, sources, inputs, options, kind);
    }

    /** The tensors of one {@code .npy}, {@code .npz} or {@code .pb} file, keyed by input name. */
    static Map<String, Tensor> readArrays(Path file, ModelInputs inputs) {
        String kind = kind(file);
        if (kind.equals("npz")) return Npz.read(file);
        List<String> names = inputs.requiredNames();
        if (names.size() != 1) {
            String list = names.isEmpty() ? "none" : String.join(", ", names);
            throw new DataException(file + ": a ." + kind + " file holds one array, but the model has " + names.size()
                    + " inputs (" + list + "); save them by name in an .npz file, as in np.savez(file, "
                    + String.join(", ", names.stream().map(n -> n + "=...").toList()) + ")");
        }
        String name = names.get(0);
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (kind.equals("npy")) {
            out.put(name, Npy.read(file, name));
        } else {
            try {
                out.put(name, OnnxReader.readTensor(file).withName(name));
            } catch (ModelFormatException e) {
                throw new DataException(e.getMessage(), e);
            }
        }
        return out;
    }

    /** npy, npz, pb or text: by extension, else by the first bytes. */
    static String kind(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) return "npy";
        if (name.endsWith(".npz")) return "npz";
        if (name.endsWith(".pb")) return "pb";
        byte[] head = head(file, 6);
        if (Npy.hasMagic(head)) return "npy";
        if (Npz.hasMagic(head)) return "npz";
        return "text";
    }

    /** Keeps the first {@code options.batches()} batches (all when 0), checks each, and describes the result. */
    private static Dataset finish(Path path, List<Map<String, Tensor>> batches, List<String> sources,
                                  ModelInputs inputs, DataOptions options, String what) {
        int total = batches.size();
        int keep = options.batches() > 0 ? Math.min(options.batches(), total) : total;
        List<Map<String, Tensor>> kept = batches.subList(0, keep);
        for (int i = 0; i < keep; i++) inputs.check(kept.get(i), sources.get(i));
        StringBuilder d = new StringBuilder().append(path).append(" (").append(what).append("): ")
                .append(keep).append(keep == 1 ? " batch" : " batches");
        if (options.batchSize() > 0) d.append(" of up to ").append(options.batchSize());
        if (keep < total) d.append(", the first ").append(keep).append(" of ").append(total);
        return new Dataset(kept, d.toString());
    }

    /**
     * {@code batch} split along axis 0 into batches of {@code size} rows (the last may have fewer); the batch
     * itself when {@code size} is 0. Every array must have the same number of rows.
     */
    static List<Map<String, Tensor>> split(Map<String, Tensor> batch, int size, String source) {
        if (size <= 0 || batch.isEmpty()) return List.of(batch);
        long rows = -1;
        String first = null;
        for (Map.Entry<String, Tensor> e : batch.entrySet()) {
            Tensor t = e.getValue();
            if (t.rank() == 0)
                throw new DataException(source + ": cannot split into batches of " + size + ": array '" + e.getKey()
                        + "' is a scalar");
            if (rows < 0) {
                rows = t.dims()[0];
                first = e.getKey();
            } else if (t.dims()[0] != rows) {
                throw new DataException(source + ": cannot split into batches of " + size + ": array '" + e.getKey()
                        + "' has " + t.dims()[0] + " rows, '" + first + "' has " + rows);
            }
        }
        List<Map<String, Tensor>> out = new ArrayList<>();
        for (long from = 0; from < rows; from += size) {
            long to = Math.min(rows, from + size);
            Map<String, Tensor> part = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : batch.entrySet()) part.put(e.getKey(), Tensors.rows(e.getValue(), from, to));
            out.add(part);
        }
        return out;
    }

    /** The first {@code n} bytes of {@code file} (fewer if it is shorter). */
    static byte[] head(Path file, int n) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
