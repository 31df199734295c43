package dev.tailor.compiler.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads ONNX binary files into the IR. The file is memory-mapped and parsed with aliasing, so tensor bytes stay
 * in the page cache and are never copied onto the heap; external data is mapped lazily, region by region.
 * Every problem with the file raises {@link ModelFormatException}.
 */
public final class OnnxReader {
    /** Nesting depth allowed in the protobuf; deep enough for any real model, low enough to stop crafted input. */
    private static final int RECURSION_LIMIT = 512;

    private static final String NOT_A_TENSOR_HINT =
            " (is it a SequenceProto, MapProto or OptionalProto from onnx-data.proto?)";

    private OnnxReader() {}

    /** Reads the model at {@code path}; external data is resolved next to it. */
    public static Model read(Path path) {
        ByteBuffer mapped = map(path);
        Path folder = path.toAbsolutePath().getParent();
        ModelProto proto = parseModel(mapped, path);
        Model model = new ProtoImporter(path, folder).importModel(proto);
        model.setLocation(path);
        return model;
    }

    /**
     * Imports a model already parsed into protobuf messages (by the text reader, for one) as if it had been read
     * from {@code file}: external data is resolved in its folder, errors name it.
     */
    public static Model read(ModelProto proto, Path file) {
        Path folder = file == null ? null : file.toAbsolutePath().getParent();
        Model model = new ProtoImporter(file, folder).importModel(proto);
        model.setLocation(file);
        return model;
    }

    /** Parses the model at {@code path} into protobuf messages only (tensor bytes aliased, not copied). */
    public static ModelProto readProto(Path path) {
        return parseModel(map(path), path);
    }

    /** Reads a model held in memory; one that refers to external data must be read from its file instead. */
    public static Model read(byte[] bytes) {
        ModelProto proto = parseModel(ByteBuffer.wrap(bytes), null);
        return new ProtoImporter(null, null).importModel(proto);
    }

    /** Reads a serialized TensorProto, such as the {@code input_0.pb} files of ONNX test cases. */
    public static Tensor readTensor(Path path) {
        ByteBuffer mapped = map(path);
        try {
            CodedInputStream in = aliasingInput(mapped);
            TensorProto proto = TensorProto.parseFrom(in);
            Tensor t;
            try {
                t = new ProtoImporter(path, path.toAbsolutePath().getParent()).importTensor(proto, "tensor");
            } catch (ModelFormatException e) {
                throw new ModelFormatException(path, e.element(), e.problem() + NOT_A_TENSOR_HINT);
            }
            // Sequences and optionals (onnx-data.proto) overlap TensorProto on the wire; they parse to a
            // tensor without element data.
            boolean hasData = t.dataType() == DataType.STRING ? !t.strings().isEmpty() || t.elementCount() == 0
                    : t.data() != null;
            if (t.dataType() == null || t.dataType() == DataType.UNDEFINED || !hasData)
                throw new ModelFormatException(path, null, "not a serialized tensor: it has no element type or data"
                        + NOT_A_TENSOR_HINT);
            return t;
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(path, null, "not a serialized ONNX tensor: " + e.getMessage());
        } catch (IOException e) {
            throw new ModelFormatException(path, null, "cannot read: " + e.getMessage(), e);
        }
    }

    private static ModelProto parseModel(ByteBuffer bytes, Path path) {
        if (!bytes.hasRemaining()) throw new ModelFormatException(path, null, "the file is empty, not an ONNX model");
        try {
            CodedInputStream in = aliasingInput(bytes);
            in.setRecursionLimit(RECURSION_LIMIT);
            return ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(path, null, describeParseFailure(bytes, e));
        } catch (IOException e) {
            throw new ModelFormatException(path, null, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * A decoder whose bytes fields are windows onto {@code bytes}. Protobuf aliases only buffers it knows to be
     * immutable; a plain {@code CodedInputStream.newInstance(ByteBuffer)} would copy every tensor onto the heap.
     */
    private static CodedInputStream aliasingInput(ByteBuffer bytes) {
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
        in.enableAliasing(true);
        return in;
    }

    private static String describeParseFailure(ByteBuffer bytes, InvalidProtocolBufferException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        if (looksLikeText(bytes))
            return "not an ONNX binary model: the file holds text"
                    + (bytes.get(0) == '<' ? " (ONNX text syntax uses the .onnxtxt extension)" : "");
        if (msg.contains("ended unexpectedly") || msg.contains("truncated"))
            return "the file ends in the middle of a field: it is truncated (not completely written or copied), "
                    + "or not an ONNX model";
        return "not an ONNX model: the bytes are not a valid ONNX protobuf (" + msg + ")";
    }

    /** Binary protobuf starts with a field tag and soon holds non-printable bytes; text files do not. */
    private static boolean looksLikeText(ByteBuffer bytes) {
        int n = Math.min(bytes.limit(), 256);
        for (int i = 0; i < n; i++) {
            int b = bytes.get(i) & 0xff;
            if (b < 0x20 && b != '\n' && b != '\r' && b != '\t') return false;
        }
        return true;
    }

    private static ByteBuffer map(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE)
                throw new ModelFormatException(path, null, "the file is " + size
                        + " bytes; a protobuf file cannot exceed 2 GiB (large weights belong in external data)");
            if (size == 0) return ByteBuffer.allocate(0);
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (IOException e) {
            throw ModelFormatException.unreadable(path, e);
        }
    }
}
