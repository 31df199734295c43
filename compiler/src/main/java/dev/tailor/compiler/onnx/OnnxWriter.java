package dev.tailor.compiler.onnx;

import com.google.protobuf.CodedOutputStream;
import dev.tailor.compiler.io.AtomicFiles;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.Function;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.SparseTensor;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes IR models as ONNX binary files. Writes are atomic: the model and its external data file go to
 * temporary files in the target folder and are renamed into place only when complete, so a failure leaves
 * no partial output and an existing file is replaced in one step.
 *
 * <p>Tensors move to an external data file when they reach {@link Options#externalDataThreshold()}, and
 * automatically when the protobuf would otherwise pass its 2 GiB limit.
 */
public final class OnnxWriter {
    /** The largest protobuf we produce; the format's hard limit is 2 GiB, less some room for the graph. */
    static final long PROTO_LIMIT = (1L << 31) - (64L << 20);
    /** Initializers at least this large move out when the 2 GiB limit forces external data. */
    static final long AUTO_THRESHOLD = 1024;

    private OnnxWriter() {}

    /**
     * @param externalDataThreshold initializers of at least this many bytes are written to external data;
     *                              null keeps every tensor where it was read from (new ones embedded)
     * @param dataFileName          the external data file's name, in the model's folder; null means
     *                              {@code <model file name>.data}
     */
    public record Options(Long externalDataThreshold, String dataFileName) {
        public static Options defaults() {
            return new Options(null, null);
        }

        public Options withExternalDataThreshold(Long bytes) {
            return new Options(bytes, dataFileName);
        }
    }

    /** What a write produced. */
    public record Result(Path model, Path dataFile, int externalTensors, long modelBytes, long dataBytes,
                         boolean externalForcedBySize) {}

    public static Result write(Model model, Path out) {
        return write(model, out, Options.defaults());
    }

    public static Result write(Model model, Path out, Options options) {
        return write(model, out, options, PROTO_LIMIT);
    }

    /** {@link #write(Model, Path, Options)} with the size at which external data becomes mandatory. */
    static Result write(Model model, Path out, Options options, long protoLimit) {
        Path target = out.toAbsolutePath().normalize();
        Path dir = target.getParent();
        String dataName = options.dataFileName() != null ? options.dataFileName() : target.getFileName() + ".data";
        if (Path.of(dataName).isAbsolute() || Path.of(dataName).getNameCount() != 1)
            throw new IllegalArgumentException("the external data file name '" + dataName
                    + "' must be a plain file name; it is written next to the model");
        Path dataTarget = dir.resolve(dataName);

        Long threshold = options.externalDataThreshold();
        boolean forced = false;
        if (embeddedBytes(model, threshold) > protoLimit) {
            threshold = threshold == null ? AUTO_THRESHOLD : Math.min(threshold, AUTO_THRESHOLD);
            forced = true;
        }

        Path tempModel = null;
        Path tempData = null;
        try {
            Files.createDirectories(dir);
            tempModel = AtomicFiles.createTemp(dir, target.getFileName().toString());
            tempData = AtomicFiles.createTemp(dir, dataName);
            ModelProto proto;
            ExternalDataWriter sink = new ExternalDataWriter(tempData, dataName, threshold);
            try (sink) {
                proto = new ProtoExporter(sink).exportModel(model);
            }
            long size = proto.getSerializedSize();
            if (size < 0 || size > Integer.MAX_VALUE)
                throw new IllegalStateException("the model's graph alone exceeds the 2 GiB protobuf limit, even with "
                        + "its initializers in external data");
            try (FileChannel ch = FileChannel.open(tempModel, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream os = Channels.newOutputStream(ch)) {
                CodedOutputStream cos = CodedOutputStream.newInstance(os, 1 << 20);
                proto.writeTo(cos);
                cos.flush();
            }
            if (sink.used()) AtomicFiles.move(tempData, dataTarget);
            else Files.deleteIfExists(tempData);
            AtomicFiles.move(tempModel, target);
            return new Result(target, sink.used() ? dataTarget : null, sink.tensorCount(), size, sink.bytes(), forced);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            AtomicFiles.deleteQuietly(tempModel);
            AtomicFiles.deleteQuietly(tempData);
        }
    }

    /** The model as one protobuf message with every tensor embedded (for in-memory use and comparisons). */
    public static ModelProto toProto(Model model) {
        long[] total = {0};
        forEachTensor(model, (t, initializer) -> total[0] += t.byteSize());
        long bytes = total[0];
        if (bytes > PROTO_LIMIT)
            throw new IllegalStateException("the model holds " + bytes + " bytes of tensors, more than one protobuf "
                    + "can hold; write it to a file with external data instead");
        return new ProtoExporter(TensorSink.EMBED).exportModel(model);
    }

    /**
     * The model as protobuf messages with every tensor embedded as a view of its data, nothing copied: for tools
     * that walk the messages (the text writer) rather than serialize them, so unlike {@link #toProto} the result
     * may hold more than one protobuf file can.
     */
    public static ModelProto toMessages(Model model) {
        return new ProtoExporter(TensorSink.EMBED).exportModel(model);
    }

    /**
     * A model serialized for a runtime in the same process: tensors that live in external data files stay there
     * (the bytes refer to them by location, relative to {@code externalFolder}), so a model of any size is handed
     * over without copying its weights; every other tensor is embedded. {@code externalFolder} is null when no
     * tensor is external.
     */
    public record InMemory(byte[] bytes, Path externalFolder) {}

    /** See {@link InMemory}. */
    public static InMemory inMemory(Model model) {
        long[] embedded = {0};
        forEachTensor(model, (t, initializer) -> {
            if (!(t.data() instanceof MappedData)) embedded[0] += t.byteSize();
        });
        if (embedded[0] > PROTO_LIMIT)
            throw new IllegalStateException("the model holds " + embedded[0] + " bytes of tensors in memory, more than "
                    + "one protobuf can hold; write it to a file with external data first");
        Path base = externalFolder(model);
        return new InMemory(new ProtoExporter(references(base)).exportModel(model).toByteArray(), base);
    }

    /** The one folder that holds the model's external data, or null when no tensor is external. */
    static Path externalFolder(Model model) {
        Path[] folder = {null};
        forEachTensor(model, (t, initializer) -> {
            if (t.data() instanceof MappedData m) {
                Path f = m.file().toAbsolutePath().getParent();
                if (folder[0] == null) folder[0] = f;
                else if (!folder[0].equals(f))
                    throw new IllegalStateException("the model's external data lies in two folders (" + folder[0]
                            + " and " + f + "); write it to a file first");
            }
        });
        return folder[0];
    }

    /** A sink that refers to external data where it lies (relative to {@code base}) and embeds everything else. */
    static TensorSink references(Path base) {
        return new TensorSink() {
            @Override
            public boolean externalize(Tensor t, boolean initializer) {
                return t.data() instanceof MappedData;
            }

            @Override
            public Region write(Tensor t) {
                MappedData m = (MappedData) t.data();
                String location = base.relativize(m.file().toAbsolutePath()).toString();
                return new Region(location, m.offset(), m.byteSize());
            }
        };
    }

    /** The model serialized as ONNX bytes, every tensor embedded. */
    public static byte[] toBytes(Model model) {
        return toProto(model).toByteArray();
    }

    /** Bytes of tensors that would stay in the protobuf at this threshold. */
    static long embeddedBytes(Model model, Long threshold) {
        long[] total = {0};
        forEachTensor(model, (t, initializer) -> {
            if (!ExternalDataWriter.goesExternal(t, initializer, threshold)) total[0] += t.byteSize();
        });
        return total[0];
    }

    interface TensorVisitor {
        void visit(Tensor t, boolean initializer);
    }

    /** Visits every tensor of the model: initializers and attribute tensors, in subgraphs and functions too. */
    static void forEachTensor(Model model, TensorVisitor visitor) {
        Consumer<Graph> walk = new Consumer<>() {
            @Override
            public void accept(Graph g) {
                for (Value v : g.initializers()) visitor.visit(v.initializer(), true);
                for (Value v : g.sparseInitializers()) sparse(v.sparseInitializer());
                for (Node n : g.nodes()) for (Attribute a : n.attributes()) attribute(a, this);
            }

            @SuppressWarnings("unchecked")
            private void attribute(Attribute a, Consumer<Graph> self) {
                Object v = a.value();
                if (v instanceof Tensor t) visitor.visit(t, false);
                else if (v instanceof Graph g) self.accept(g);
                else if (v instanceof SparseTensor s) sparse(s);
                else if (v instanceof List<?> list) {
                    for (Object o : list) {
                        if (o instanceof Tensor t) visitor.visit(t, false);
                        else if (o instanceof Graph g) self.accept(g);
                        else if (o instanceof SparseTensor s) sparse(s);
                    }
                }
            }

            private void sparse(SparseTensor s) {
                if (s.values() != null) visitor.visit(s.values(), false);
                if (s.indices() != null) visitor.visit(s.indices(), false);
            }
        };
        if (model.graph() != null) walk.accept(model.graph());
        for (Function f : model.functions()) {
            walk.accept(f.body());
            for (Attribute a : f.attributeDefaults()) if (a.value() instanceof Tensor t) visitor.visit(t, false);
        }
    }
}
