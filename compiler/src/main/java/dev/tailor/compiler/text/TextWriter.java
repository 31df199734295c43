package dev.tailor.compiler.text;

import dev.tailor.compiler.io.AtomicFiles;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * Writes IR models in the ONNX text syntax ({@code .onnxtxt}) so that {@link TextReader} reads them back equal
 * field by field: exact floats (the shortest decimal that reads back to the same bits), every element type, and
 * Tailor's {@code #!} annotations for whatever the syntax cannot say (doc strings, metadata, training info, the
 * storage of tensor values, fields the syntax would set but the model lacks). Without annotations, the text is
 * what onnx's own parser reads.
 *
 * <p>With {@link Options#maxInlineBytes()}, tensors of more bytes are left out of the text: they are written,
 * raw and little-endian at aligned offsets, to a side file next to the text ({@code model.onnxtxt.data}), and the
 * text refers to each by name, type and shape with onnx's external-data syntax
 * {@code float[1024, 1024] w = ["location": "model.onnxtxt.data", "offset": "0", "length": "4194304"]},
 * marked {@code #!raw} or {@code #!typed} to say that the model holds it embedded.
 *
 * <p>Writes are atomic: the text and its side file go to temporary files in the target folder and are renamed
 * into place when complete.
 */
public final class TextWriter {
    private TextWriter() {}

    /**
     * @param maxInlineBytes tensors of more bytes go to the side file; null keeps every tensor in the text
     * @param dataFileName   the side file's name, in the text's folder; null means {@code <text file name>.data}
     */
    public record Options(Long maxInlineBytes, String dataFileName) {
        public static Options defaults() {
            return new Options(null, null);
        }

        public Options withMaxInlineBytes(Long bytes) {
            return new Options(bytes, dataFileName);
        }
    }

    /** What a write produced; {@code constructs} are those beyond onnx 1.12's syntax that the text uses. */
    public record Result(Path text, Path dataFile, int outOfLineTensors, long textBytes, long dataBytes,
                         int annotationLines, Set<Construct> constructs) {}

    /** The model as text, every tensor in it. */
    public static String toText(Model model) {
        return toText(OnnxWriter.toMessages(model));
    }

    /** A ModelProto as text, every tensor in it. */
    public static String toText(ModelProto model) {
        StringBuilder out = new StringBuilder();
        new ProtoTextPrinter(null, null).model(model, out);
        return out.toString();
    }

    /** Prints {@code model} and reports the constructs it used beyond onnx 1.12 and the annotation lines. */
    public static Printed print(ModelProto model) {
        StringBuilder out = new StringBuilder();
        ProtoTextPrinter p = new ProtoTextPrinter(null, null);
        p.model(model, out);
        return new Printed(out.toString(), Set.copyOf(p.used), p.annotationLines);
    }

    /** A printed text with what it uses: constructs beyond onnx 1.12's syntax, and how many annotation lines. */
    public record Printed(String text, Set<Construct> constructs, int annotationLines) {}

    public static Result write(Model model, Path out) {
        return write(model, out, Options.defaults());
    }

    public static Result write(Model model, Path out, Options options) {
        return write(OnnxWriter.toMessages(model), out, options);
    }

    public static Result write(ModelProto model, Path out, Options options) {
        Path target = out.toAbsolutePath().normalize();
        Path dir = target.getParent();
        String dataName = options.dataFileName() != null ? options.dataFileName() : target.getFileName() + ".data";
        if (Path.of(dataName).isAbsolute() || Path.of(dataName).getNameCount() != 1)
            throw new IllegalArgumentException("the side file name '" + dataName
                    + "' must be a plain file name; it is written next to the text");
        Path dataTarget = dir.resolve(dataName);
        Path tempText = null;
        Path tempData = null;
        try {
            Files.createDirectories(dir);
            tempText = AtomicFiles.createTemp(dir, target.getFileName().toString());
            tempData = AtomicFiles.createTemp(dir, dataName);
            ProtoTextPrinter printer;
            try (SideFileWriter side = new SideFileWriter(tempData, dataName);
                 Writer w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(tempText,
                         StandardOpenOption.TRUNCATE_EXISTING), StandardCharsets.UTF_8), 1 << 16)) {
                printer = new ProtoTextPrinter(options.maxInlineBytes(), side);
                printer.model(model, w);
                w.flush();
                side.close();
                long dataBytes = side.position;
                boolean used = side.channel != null;
                if (used) AtomicFiles.move(tempData, dataTarget);
                else Files.deleteIfExists(tempData);
                long textBytes = Files.size(tempText);
                w.close();
                AtomicFiles.move(tempText, target);
                return new Result(target, used ? dataTarget : null, printer.outOfLineTensors, textBytes, dataBytes,
                        printer.annotationLines, Set.copyOf(printer.used));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            AtomicFiles.deleteQuietly(tempText);
            AtomicFiles.deleteQuietly(tempData);
        }
    }

    /** Appends tensor bytes at aligned offsets (64 bytes; 4 KiB from 1 MiB), as ONNX external data. */
    private static final class SideFileWriter implements ProtoTextPrinter.SideFile, AutoCloseable {
        private final Path temp;
        private final String location;
        FileChannel channel;
        long position;

        SideFileWriter(Path temp, String location) {
            this.temp = temp;
            this.location = location;
        }

        @Override
        public Region write(ByteBuffer bytes) throws IOException {
            if (channel == null)
                channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            long length = bytes.remaining();
            long align = length >= (1 << 20) ? 4096 : 64;
            long start = (position + align - 1) / align * align;
            channel.position(start);
            ByteBuffer b = bytes.duplicate();
            while (b.hasRemaining()) channel.write(b);
            position = start + length;
            return new Region(location, start, length);
        }

        @Override
        public void close() throws IOException {
            if (channel != null && channel.isOpen()) channel.close();
        }
    }
}
