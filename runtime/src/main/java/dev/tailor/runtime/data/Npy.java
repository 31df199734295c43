package dev.tailor.runtime.data;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.HeapData;
import dev.tailor.compiler.ir.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads NumPy's {@code .npy} format (versions 1.0, 2.0 and 3.0): the magic {@code \x93NUMPY}, a version, a header
 * that is a Python dict literal with {@code descr}, {@code fortran_order} and {@code shape}, then the elements.
 *
 * <p>Guarantees: the tensor has the array's shape and elements in row-major (C) order, as little-endian bytes;
 * a Fortran-ordered array is transposed into C order, and a big-endian one is byte-swapped, so neither changes
 * a value. Supported dtypes: {@code f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1}. Anything else (strings, objects,
 * complex, datetimes, structured dtypes), a truncated file or bytes after the data fail with a
 * {@link DataException} naming the file and the problem.
 */
public final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    static final String SUPPORTED = "f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1";
    /** The largest file read whole: Java arrays hold at most 2 GiB. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private Npy() {}

    /** Reads {@code file} as the tensor {@code name}. */
    public static Tensor read(Path file, String name) {
        return parse(ByteBuffer.wrap(readAll(file)), file.toString(), name);
    }

    /** True if {@code head} (a file's first bytes) starts with the {@code .npy} magic. */
    static boolean hasMagic(byte[] head) {
        return head.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(head, MAGIC.length), MAGIC);
    }

    /**
     * Parses a whole {@code .npy} image (position to limit) into the tensor {@code name}; {@code where} starts
     * every error message (a file, or an archive and entry).
     */
    static Tensor parse(ByteBuffer in, String where, String name) {
        ByteBuffer buf = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        int size = buf.remaining();
        byte[] head = new byte[Math.min(size, MAGIC.length)];
        buf.get(0, head);
        if (!hasMagic(head))
            throw new DataException(where + ": not a NumPy .npy file: " + startsWith(head) + ", not \\x93NUMPY");
        if (size < 10) throw new DataException(where + ": truncated: the file ends inside the .npy preamble ("
                + size + " bytes)");
        int major = buf.get(6) & 0xFF, minor = buf.get(7) & 0xFF;
        if (major < 1 || major > 3)
            throw new DataException(where + ": NumPy format version " + major + "." + minor
                    + " is not supported (1.0, 2.0 and 3.0 are)");
        int lengthBytes = major == 1 ? 2 : 4;
        if (size < 8 + lengthBytes)
            throw new DataException(where + ": truncated: the file ends inside the .npy preamble (" + size + " bytes)");
        long headerLength = major == 1 ? buf.getShort(8) & 0xFFFF : buf.getInt(8) & 0xFFFFFFFFL;
        long dataStart = 8 + lengthBytes + headerLength;
        if (dataStart > size)
            throw new DataException(where + ": truncated: the header needs " + dataStart + " bytes, the file has " + size);
        byte[] headerBytes = new byte[(int) headerLength];
        buf.get(8 + lengthBytes, headerBytes);
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Map<String, Object> dict;
        try {
            dict = new HeaderParser(header).dict();
        } catch (IllegalArgumentException e) {
            throw new DataException(where + ": malformed .npy header " + header.strip() + ": " + e.getMessage());
        }
        Set<String> keys = new TreeSet<>(dict.keySet());
        if (!keys.equals(Set.of("descr", "fortran_order", "shape")))
            throw new DataException(where + ": the .npy header must have the keys descr, fortran_order and shape, "
                    + "but has " + String.join(", ", keys));
        if (!(dict.get("fortran_order") instanceof Boolean fortran))
            throw new DataException(where + ": fortran_order is " + HeaderParser.show(dict.get("fortran_order"))
                    + ", not True or False");
        Dtype dtype = dtype(dict.get("descr"), where);
        long[] dims = shape(dict.get("shape"), where);

        long count = Tensor.elementCount(dims);
        long needed;
        try {
            needed = Math.multiplyExact(count, dtype.size);
        } catch (ArithmeticException e) {
            throw new DataException(where + ": shape " + Arrays.toString(dims) + " is too large");
        }
        long available = size - dataStart;
        String what = ModelInputs.typeName(dtype.type) + " " + Arrays.toString(dims);
        if (available < needed)
            throw new DataException(where + ": truncated: " + what + " needs " + needed + " bytes of data, the file has "
                    + available);
        if (available > needed)
            throw new DataException(where + ": " + (available - needed) + " bytes follow the data of " + what
                    + " (" + needed + " bytes): not a single array");

        byte[] data = new byte[(int) needed];
        buf.get((int) dataStart, data);
        if (dtype.bigEndian && dtype.size > 1) swapBytes(data, dtype.size);
        if (fortran && dims.length > 1) data = fortranToC(data, dims, dtype.size);
        return Tensor.of(name, dtype.type, dims, new HeapData(data));
    }

    /** An element type as a {@code descr} names it. */
    private record Dtype(DataType type, int size, boolean bigEndian) {}

    private static Dtype dtype(Object descr, String where) {
        if (!(descr instanceof String s))
            throw new DataException(where + ": structured dtypes (records of fields) are not supported (supported: "
                    + SUPPORTED + ")");
        String code = s;
        boolean bigEndian = false;
        if (!code.isEmpty() && "<>|=".indexOf(code.charAt(0)) >= 0) {
            bigEndian = code.charAt(0) == '>' || (code.charAt(0) == '=' && ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN);
            code = code.substring(1);
        }
        DataType type = switch (code) {
            case "f2" -> DataType.FLOAT16;
            case "f4" -> DataType.FLOAT;
            case "f8" -> DataType.DOUBLE;
            case "i1" -> DataType.INT8;
            case "i2" -> DataType.INT16;
            case "i4" -> DataType.INT32;
            case "i8" -> DataType.INT64;
            case "u1" -> DataType.UINT8;
            case "u2" -> DataType.UINT16;
            case "u4" -> DataType.UINT32;
            case "u8" -> DataType.UINT64;
            case "b1" -> DataType.BOOL;
            default -> throw new DataException(where + ": dtype '" + s + "' is not supported (supported: " + SUPPORTED + ")");
        };
        return new Dtype(type, type.bits() / 8, bigEndian);
    }

    private static long[] shape(Object shape, String where) {
        if (shape instanceof List<?> list) {
            long[] dims = new long[list.size()];
            boolean ok = true;
            for (int i = 0; i < dims.length; i++) {
                if (list.get(i) instanceof Long n && n >= 0) dims[i] = n;
                else ok = false;
            }
            if (ok) return dims;
        }
        throw new DataException(where + ": shape " + HeaderParser.show(shape) + " is not a tuple of sizes");
    }

    private static void swapBytes(byte[] data, int width) {
        for (int i = 0; i < data.length; i += width)
            for (int a = i, b = i + width - 1; a < b; a++, b--) {
                byte t = data[a];
                data[a] = data[b];
                data[b] = t;
            }
    }

    /** Reorders column-major elements of shape {@code dims} into row-major order. */
    static byte[] fortranToC(byte[] data, long[] dims, int width) {
        int rank = dims.length;
        long[] stride = new long[rank]; // the column-major stride of each axis, in elements
        long s = 1;
        for (int k = 0; k < rank; k++) {
            stride[k] = s;
            s *= dims[k];
        }
        byte[] out = new byte[data.length];
        long count = data.length / width;
        long[] index = new long[rank];
        long source = 0;
        for (long i = 0; i < count; i++) {
            System.arraycopy(data, (int) (source * width), out, (int) (i * width), width);
            // Advance the row-major index (last axis fastest) and keep the column-major offset in step.
            for (int k = rank - 1; k >= 0; k--) {
                if (++index[k] < dims[k]) {
                    source += stride[k];
                    break;
                }
                source -= stride[k] * (dims[k] - 1);
                index[k] = 0;
            }
        }
        return out;
    }

    static byte[] readAll(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES)
                throw new DataException(file + ": " + size + " bytes is more than one data file may hold (2 GiB)");
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** "it is empty" or "it starts with 50 4b 03 04" for a file's first bytes. */
    static String startsWith(byte[] head) {
        if (head.length == 0) return "it is empty";
        StringBuilder b = new StringBuilder("it starts with");
        for (byte x : head) b.append(String.format(" %02x", x & 0xFF));
        return b.toString();
    }

    /**
     * The Python literals a {@code .npy} header uses: a dict with string keys, strings, {@code True}/{@code False}/
     * {@code None}, integers (an {@code L} suffix allowed, as Python 2 wrote them), tuples and lists (both become
     * {@link List}s).
     */
    static final class HeaderParser {
        private final String s;
        private int pos;

        HeaderParser(String s) {
            this.s = s;
        }

        Map<String, Object> dict() {
            skipSpace();
            Object v = value();
            skipSpace();
            if (pos != s.length()) throw fail("unexpected '" + s.charAt(pos) + "' after the dict");
            if (!(v instanceof Map<?, ?> m)) throw fail("not a dict");
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) throw fail("a key is not a string");
                out.put(k, e.getValue());
            }
            return out;
        }

        private Object value() {
            skipSpace();
            if (pos >= s.length()) throw fail("it ends early");
            char c = s.charAt(pos);
            if (c == '{') return collection('}', true);
            if (c == '(') return collection(')', false);
            if (c == '[') return collection(']', false);
            if (c == '\'' || c == '"') return string(c);
            if (c == '-' || Character.isDigit(c)) return integer();
            if (s.startsWith("True", pos)) return word("True", Boolean.TRUE);
            if (s.startsWith("False", pos)) return word("False", Boolean.FALSE);
            if (s.startsWith("None", pos)) return word("None", null);
            throw fail("unexpected '" + c + "' at offset " + pos);
        }

        private Object collection(char close, boolean isDict) {
            pos++;
            List<Object> items = new ArrayList<>();
            Map<Object, Object> map = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == close) {
                    pos++;
                    return isDict ? map : items;
                }
                Object v = value();
                if (isDict) {
                    skipSpace();
                    expect(':');
                    map.put(v, value());
                } else {
                    items.add(v);
                }
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') pos++;
                else if (pos >= s.length() || s.charAt(pos) != close) throw fail("expected ',' or '" + close + "' at offset " + pos);
            }
        }

        private String string(char quote) {
            StringBuilder b = new StringBuilder();
            pos++;
            while (pos < s.length() && s.charAt(pos) != quote) {
                char c = s.charAt(pos++);
                if (c == '\\' && pos < s.length()) c = s.charAt(pos++);
                b.append(c);
            }
            expect(quote);
            return b.toString();
        }

        private Long integer() {
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
            try {
                long v = Long.parseLong(s.substring(start, pos));
                if (pos < s.length() && (s.charAt(pos) == 'L' || s.charAt(pos) == 'l')) pos++;
                return v;
            } catch (NumberFormatException e) {
                throw fail("'" + s.substring(start, pos) + "' is not an integer");
            }
        }

        private Object word(String w, Object v) {
            pos += w.length();
            return v;
        }

        private void expect(char c) {
            if (pos >= s.length() || s.charAt(pos) != c) throw fail("expected '" + c + "' at offset " + pos);
            pos++;
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }

        private IllegalArgumentException fail(String why) {
            return new IllegalArgumentException(why);
        }

        /** A parsed value written back as Python would print it. */
        static String show(Object v) {
            if (v == null) return "None";
            if (v instanceof Boolean b) return b ? "True" : "False";
            if (v instanceof String str) return "'" + str + "'";
            if (v instanceof List<?> l) {
                StringBuilder b = new StringBuilder("(");
                for (int i = 0; i < l.size(); i++) b.append(i > 0 ? ", " : "").append(show(l.get(i)));
                return b.append(l.size() == 1 ? ",)" : ")").toString();
            }
            return String.valueOf(v);
        }
    }
}
