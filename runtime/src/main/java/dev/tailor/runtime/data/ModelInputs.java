package dev.tailor.runtime.data;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model's graph inputs as data must feed them: the non-initializer inputs every batch needs ({@link #required()}),
 * and the check that a batch fits them.
 */
final class ModelInputs {
    private final List<Value> required = new ArrayList<>();
    private final Map<String, Value> all = new LinkedHashMap<>();

    ModelInputs(Model model) {
        for (Value v : model.graph().inputs()) {
            all.put(v.name(), v);
            if (v.initializer() == null) required.add(v);
        }
    }

    /** The inputs without a default value (an initializer), in graph order. */
    List<Value> required() {
        return required;
    }

    List<String> requiredNames() {
        return required.stream().map(Value::name).toList();
    }

    /**
     * Checks {@code batch} against the model's inputs and throws one {@link DataException} that lists every
     * problem: arrays for inputs the model lacks, inputs without an array, and arrays whose element type, rank or
     * fixed sizes differ from the input's type, or whose sizes for a symbolic dimension differ from another array's.
     * An array may also override an input that has an initializer. {@code source} starts the message.
     */
    void check(Map<String, Tensor> batch, String source) {
        List<String> problems = new ArrayList<>();
        for (String name : batch.keySet())
            if (!all.containsKey(name))
                problems.add("array '" + name + "' is not an input of the model (its inputs: "
                        + String.join(", ", requiredNames()) + ")" + positionalHint(name));
        for (Value v : required)
            if (!batch.containsKey(v.name()))
                problems.add("no array for the model's input '" + v.name() + "' (" + describe(v.type()) + ")");

        Map<String, long[]> symbols = new HashMap<>(); // dim name -> {size, index of the input that set it}
        Map<String, String> symbolSource = new HashMap<>();
        for (Map.Entry<String, Tensor> e : batch.entrySet()) {
            Value v = all.get(e.getKey());
            if (v == null) continue;
            Tensor t = e.getValue();
            String found = "array '" + e.getKey() + "' is " + typeName(t.dataType()) + " " + Arrays.toString(t.dims());
            if (!(v.type() instanceof Type.Tensor type)) {
                problems.add(found + ", but the model's input '" + v.name() + "' is not a tensor ("
                        + (v.type() == null ? "no type" : v.type().getClass().getSimpleName()) + ")");
                continue;
            }
            String expected = "the model's input '" + v.name() + "' is " + describe(type);
            if (type.elementType() != null && type.elementType() != t.dataType()) {
                problems.add(found + ", but " + expected);
                continue;
            }
            if (type.shape() == null) continue;
            long[] dims = t.dims();
            if (dims.length != type.shape().rank()) {
                problems.add(found + ", but " + expected + " (rank " + type.shape().rank() + ")");
                continue;
            }
            for (int axis = 0; axis < dims.length; axis++) {
                Dim d = type.shape().dim(axis);
                if (d.isKnown() && d.value() != dims[axis]) {
                    problems.add(found + ", but " + expected + " (axis " + axis + " must be " + d.value() + ")");
                    break;
                }
                if (d.isSymbolic()) {
                    long[] seen = symbols.putIfAbsent(d.param(), new long[] {dims[axis]});
                    if (seen == null) symbolSource.put(d.param(), e.getKey());
                    else if (seen[0] != dims[axis]) {
                        problems.add(found + ", but " + d.param() + " is " + seen[0] + " in array '"
                                + symbolSource.get(d.param()) + "' (axis " + axis + " of input '" + v.name() + "')");
                        break;
                    }
                }
            }
        }
        if (problems.size() == 1) throw new DataException(source + ": " + problems.get(0));
        if (!problems.isEmpty())
            throw new DataException(source + ": " + problems.size() + " problems:\n  " + String.join("\n  ", problems));
    }

    /** np.savez(file, a, b) names its arrays arr_0, arr_1, ...: say how to name them after the inputs. */
    private String positionalHint(String name) {
        if (!name.matches("arr_\\d+")) return "";
        return "; np.savez names positional arrays arr_0, arr_1, ...: pass them by input name, as in np.savez(file, "
                + String.join(", ", requiredNames().stream().map(n -> n + "=...").toList()) + ")";
    }

    /** An input's type as {@code int64 [batch, sequence]}. */
    static String describe(Type type) {
        if (!(type instanceof Type.Tensor t)) return type == null ? "no type" : type.getClass().getSimpleName();
        String element = t.elementType() == null ? "any type" : typeName(t.elementType());
        return t.shape() == null ? element + " of any shape" : element + " " + t.shape();
    }

    /** NumPy's name for an element type: float32, int64, bool, ... */
    static String typeName(DataType type) {
        if (type == null) return "an unknown type";
        return switch (type) {
            case FLOAT -> "float32";
            case DOUBLE -> "float64";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }
}
