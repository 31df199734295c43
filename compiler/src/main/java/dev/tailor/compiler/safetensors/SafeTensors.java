package dev.tailor.compiler.safetensors;

import dev.tailor.compiler.io.AtomicFiles;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file (the format of Hugging Face weights and PEFT adapters): an 8-byte little-endian header
 * length, a JSON header mapping each tensor name to {@code dtype}, {@code shape} and {@code data_offsets} (begin
 * and end, relative to the data after the header) plus an optional {@code __metadata__} object of strings, then
 * the raw little-endian data.
 *
 * <p>Reading checks everything the header claims before any tensor is used: the header length against the file,
 * the JSON, each dtype, that each tensor's byte range matches its shape, lies inside the data and overlaps no
 * other, and that the ranges cover the data without holes (the format requires it; a hole means a damaged
 * file). Tensors are memory-mapped on first touch, as ONNX external data is. Errors are
 * {@link SafeTensorsException}s naming the file and the tensor.
 */
public final class SafeTensors {
    /** The reference implementation's limit; a larger header is a damaged or hostile file. */
    static final long MAX_HEADER = 100L << 20;

    private final Path file;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.file = file;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    public Path file() {
        return file;
    }

    /** Every tensor, in the order of the header; each tensor is named as in the file. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} strings (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor called {@code name}, or a {@link SafeTensorsException} saying the file has none. */
    public Tensor require(String name) {
        Tensor t = tensors.get(name);
        if (t == null)
            throw new SafeTensorsException(file, name, "not in the file (it has " + tensors.size() + " tensors"
                    + (tensors.isEmpty() ? "" : ", such as '" + tensors.keySet().iterator().next() + "'") + ")");
        return t;
    }

    // ---- reading ----

    /** Reads the header of {@code file} and checks it; tensor data is mapped when first used. */
    public static SafeTensors read(Path file) {
        FileChannel channel;
        long size;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            size = channel.size();
        } catch (IOException e) {
            throw new SafeTensorsException(file, null, "cannot read: " + e.getMessage(), e);
        }
        try {
            if (size < 8) throw new SafeTensorsException(file, null, "truncated: " + size + " bytes, less than the "
                    + "8-byte header length");
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0, file);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > size - 8)
                throw new SafeTensorsException(file, null, "bad header length " + Long.toUnsignedString(headerLength)
                        + ": the file has " + (size - 8) + " bytes after the length field (truncated or not safetensors)");
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8, file);
            String header = StandardCharsets.UTF_8.decode(headerBytes.flip()).toString();
            long dataStart = 8 + headerLength;
            return parse(file, header, dataStart, size - dataStart, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafeTensors parse(Path file, String header, long dataStart, long dataLength, FileChannel channel) {
        Object root;
        try {
            root = Json.parse(header.stripTrailing());
        } catch (IllegalArgumentException e) {
            throw new SafeTensorsException(file, null, "bad header: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> entries))
            throw new SafeTensorsException(file, null, "bad header: expected a JSON object of tensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        List<String> rangeNames = new ArrayList<>();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                metadata.putAll(metadata(file, e.getValue()));
                continue;
            }
            Entry entry = Entry.of(file, name, e.getValue());
            if (entry.end > dataLength)
                throw new SafeTensorsException(file, name, "data_offsets [" + entry.begin + ", " + entry.end
                        + "] run past the end of the data (" + dataLength + " bytes; the file is truncated or the "
                        + "header is wrong)");
            ranges.add(new long[] {entry.begin, entry.end});
            rangeNames.add(name);
            tensors.put(name, Tensor.of(name, entry.type.onnx, entry.shape,
                    new MappedData(channel, file, dataStart + entry.begin, entry.end - entry.begin)));
        }
        checkLayout(file, ranges, rangeNames, dataLength);
        return new SafeTensors(file, tensors, metadata);
    }

    /** One header entry, checked on its own. */
    private record Entry(SafeTensorsType type, long[] shape, long begin, long end) {
        static Entry of(Path file, String name, Object json) {
            if (!(json instanceof Map<?, ?> m))
                throw new SafeTensorsException(file, name, "bad header entry: expected an object with dtype, shape "
                        + "and data_offsets");
            if (!(m.get("dtype") instanceof String dtype))
                throw new SafeTensorsException(file, name, "bad header entry: no dtype string");
            SafeTensorsType type = SafeTensorsType.named(dtype);
            if (type == null)
                throw new SafeTensorsException(file, name, "unknown dtype '" + dtype + "' (known: "
                        + SafeTensorsType.known() + ")");
            long[] shape = longs(file, name, m.get("shape"), "shape", -1);
            long[] offsets = longs(file, name, m.get("data_offsets"), "data_offsets", 2);
            long begin = offsets[0];
            long end = offsets[1];
            if (end < begin)
                throw new SafeTensorsException(file, name, "data_offsets [" + begin + ", " + end + "] end before they "
                        + "begin");
            long expected;
            try {
                expected = type.onnx.byteSize(Tensor.elementCount(shape));
            } catch (ArithmeticException x) {
                throw new SafeTensorsException(file, name, "shape " + java.util.Arrays.toString(shape) + " is too large");
            }
            if (end - begin != expected)
                throw new SafeTensorsException(file, name, "data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                        + " bytes, but " + dtype + java.util.Arrays.toString(shape) + " needs " + expected);
            return new Entry(type, shape, begin, end);
        }

        private static long[] longs(Path file, String name, Object json, String field, int length) {
            if (!(json instanceof List<?> list) || (length >= 0 && list.size() != length))
                throw new SafeTensorsException(file, name, "bad header entry: " + field + " must be a list of "
                        + (length >= 0 ? length + " " : "") + "non-negative integers");
            long[] out = new long[list.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(list.get(i) instanceof Long v) || v < 0)
                    throw new SafeTensorsException(file, name, "bad header entry: " + field + " holds " + list.get(i)
                            + ", not a non-negative integer");
                out[i] = v;
            }
            return out;
        }
    }

    private static Map<String, String> metadata(Path file, Object json) {
        if (!(json instanceof Map<?, ?> m))
            throw new SafeTensorsException(file, null, "bad header: __metadata__ must be an object of strings");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s))
                throw new SafeTensorsException(file, null, "bad header: __metadata__ entry '" + e.getKey()
                        + "' is not a string");
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    /** The ranges, sorted, must tile {@code [0, dataLength)}: an overlap aliases two tensors, a hole means damage. */
    private static void checkLayout(Path file, List<long[]> ranges, List<String> names, long dataLength) {
        Integer[] order = new Integer[ranges.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> ranges.get(a)[0] != ranges.get(b)[0]
                ? Long.compare(ranges.get(a)[0], ranges.get(b)[0]) : Long.compare(ranges.get(a)[1], ranges.get(b)[1]));
        long covered = 0;
        String previous = null;
        for (int i : order) {
            long[] r = ranges.get(i);
            if (r[0] < covered)
                throw new SafeTensorsException(file, names.get(i), "data_offsets [" + r[0] + ", " + r[1]
                        + "] overlap tensor '" + previous + "' (which ends at " + covered + ")");
            if (r[0] > covered)
                throw new SafeTensorsException(file, names.get(i), "data_offsets [" + r[0] + ", " + r[1]
                        + "] leave bytes " + covered + ".." + r[0] + " of the data unused (a damaged file)");
            covered = r[1];
            previous = names.get(i);
        }
        if (covered != dataLength)
            throw new SafeTensorsException(file, null, "the tensors cover " + covered + " of the " + dataLength
                    + " data bytes; the rest belongs to no tensor (a damaged file)");
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long at, Path file) {
        try {
            while (into.hasRemaining()) {
                int n = channel.read(into, at + into.position());
                if (n < 0) throw new SafeTensorsException(file, null, "truncated while reading the header");
            }
        } catch (IOException e) {
            throw new SafeTensorsException(file, null, "cannot read: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already failing with a better message
        }
    }

    // ---- writing ----

    /**
     * Writes {@code tensors} (numeric types safetensors can name) in the given order with {@code metadata}, atomically:
     * to a temporary file in the target folder, renamed into place when complete. The header is padded with spaces
     * to a multiple of 8 bytes so that the data is aligned.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            SafeTensorsType type = t.dataType() == null ? null : SafeTensorsType.of(t.dataType());
            if (type == null)
                throw new SafeTensorsException(file, e.getKey(), "safetensors has no dtype for " + t.dataType());
            List<Long> shape = new ArrayList<>();
            for (long d : t.dims()) shape.add(d);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", type.name());
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + t.byteSize()));
            header.put(e.getKey(), entry);
            offset += t.byteSize();
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        Path dir = file.toAbsolutePath().getParent();
        Path temp = null;
        try {
            temp = AtomicFiles.createTemp(dir, file.getFileName().toString());
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                out.write(head.flip());
                for (Tensor t : tensors.values()) t.data().writeTo(out);
            }
            AtomicFiles.move(temp, file);
        } catch (IOException e) {
            throw new SafeTensorsException(file, null, "cannot write: " + e.getMessage(), e);
        } finally {
            AtomicFiles.deleteQuietly(temp);
        }
    }
}
