package dev.tailor.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code .npy} files as NumPy 1.24 writes them, and malformed ones. */
class NpyTest {
    private static final Map<String, DataType> TYPES = Map.ofEntries(
            Map.entry("f2", DataType.FLOAT16), Map.entry("f4", DataType.FLOAT), Map.entry("f8", DataType.DOUBLE),
            Map.entry("i1", DataType.INT8), Map.entry("i2", DataType.INT16), Map.entry("i4", DataType.INT32),
            Map.entry("i8", DataType.INT64), Map.entry("u1", DataType.UINT8), Map.entry("u2", DataType.UINT16),
            Map.entry("u4", DataType.UINT32), Map.entry("u8", DataType.UINT64), Map.entry("b1", DataType.BOOL));

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"})
    void readsEverySupportedDtype(String code) {
        Tensor t = Npy.read(Fixtures.file("dtype_" + code + ".npy"), "x");
        assertEquals(TYPES.get(code), t.dataType());
        assertEquals("x", t.name());
        Fixtures.assertSameAsNumpy("dtype_" + code, t);
    }

    @Test
    void decodesValuesNotOnlyBytes() {
        float[] f = Npy.read(Fixtures.file("dtype_f4.npy"), "f").toFloats();
        assertArrayEquals(new float[] {0, 1.5f, -2.25f, Float.MAX_VALUE, (float) Math.PI, -0.0f, 1e-3f, Float.MIN_NORMAL}, f);
        long[] l = Npy.read(Fixtures.file("dtype_i8.npy"), "l").toLongs();
        assertArrayEquals(new long[] {0, 1, Long.MIN_VALUE, Long.MAX_VALUE, 3, 2, 42, 7}, l);
        byte[] b = new byte[8];
        Npy.read(Fixtures.file("dtype_b1.npy"), "b").bytes().get(b);
        assertArrayEquals(new byte[] {1, 0, 1, 1, 0, 0, 1, 0}, b);
        short half = Npy.read(Fixtures.file("dtype_f2.npy"), "h").bytes().getShort(6);
        assertEquals((short) 0x7BFF, half, "float16 max, 65504");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void readsFormatVersions(int major) throws IOException {
        Path file = Fixtures.file("version_" + major + ".npy");
        assertEquals(major, Files.readAllBytes(file)[6], "numpy wrote version " + major);
        Fixtures.assertSameAsNumpy("version", Npy.read(file, "v"));
    }

    @Test
    void byteSwapsBigEndianArrays() {
        Fixtures.assertSameAsNumpy("big_f4", Npy.read(Fixtures.file("big_f4.npy"), "x"));
        Tensor l = Npy.read(Fixtures.file("big_i8.npy"), "x");
        assertArrayEquals(new long[] {1, -2, 1L << 40, -(1L << 62)}, l.toLongs());
    }

    @Test
    void transposesFortranOrderIntoCOrder() throws IOException {
        String header = new String(Files.readAllBytes(Fixtures.file("fortran_i4.npy")), 0, 128, StandardCharsets.ISO_8859_1);
        assertEquals(true, header.contains("'fortran_order': True"), header);
        Tensor t = Npy.read(Fixtures.file("fortran_i4.npy"), "x");
        Fixtures.assertSameAsNumpy("fortran_i4", t);
        assertEquals(DataType.INT32, t.dataType());
        int[] values = new int[24];
        t.bytes().asIntBuffer().get(values);
        for (int i = 0; i < 24; i++) assertEquals(i, values[i], "element " + i + " in C order");
        Fixtures.assertSameAsNumpy("fortran_f8", Npy.read(Fixtures.file("fortran_f8.npy"), "x"));
    }

    @Test
    void readsScalarsAndEmptyArrays() {
        Tensor scalar = Npy.read(Fixtures.file("scalar.npy"), "s");
        assertEquals(0, scalar.rank());
        assertArrayEquals(new float[] {3.5f}, scalar.toFloats());
        Tensor empty = Npy.read(Fixtures.file("empty.npy"), "e");
        assertArrayEquals(new long[] {0, 3}, empty.dims());
        assertEquals(0, empty.byteSize());
    }

    @Test
    void wrongMagic() throws IOException {
        Path file = tmp.resolve("hello.npy");
        Files.writeString(file, "hello world\n");
        assertMessage(file + ": not a NumPy .npy file: it starts with 68 65 6c 6c 6f 20, not \\x93NUMPY", file);
        Path empty = Files.write(tmp.resolve("empty.npy"), new byte[0]);
        assertMessage(empty + ": not a NumPy .npy file: it is empty, not \\x93NUMPY", empty);
    }

    @Test
    void truncatedData() throws IOException {
        Path source = Fixtures.file("dtype_f4.npy");
        Path file = Fixtures.truncatedCopy(source, tmp, "cut.npy", Files.size(source) - 3);
        assertMessage(file + ": truncated: float32 [2, 4] needs 32 bytes of data, the file has 29", file);
    }

    @Test
    void truncatedHeader() throws IOException {
        Path file = Fixtures.truncatedCopy(Fixtures.file("dtype_f4.npy"), tmp, "cut.npy", 20);
        assertMessage(file + ": truncated: the header needs 128 bytes, the file has 20", file);
        Path preamble = Fixtures.truncatedCopy(Fixtures.file("dtype_f4.npy"), tmp, "preamble.npy", 8);
        assertMessage(preamble + ": truncated: the file ends inside the .npy preamble (8 bytes)", preamble);
    }

    @Test
    void bytesAfterTheData() throws IOException {
        Path file = tmp.resolve("long.npy");
        byte[] bytes = Files.readAllBytes(Fixtures.file("dtype_f4.npy"));
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 4);
        Files.write(file, longer);
        assertMessage(file + ": 4 bytes follow the data of float32 [2, 4] (32 bytes): not a single array", file);
    }

    @Test
    void unsupportedDtypes() {
        String supported = " is not supported (supported: f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1)";
        Path unicode = Fixtures.file("unicode.npy");
        assertMessage(unicode + ": dtype '<U2'" + supported, unicode);
        Path complex = Fixtures.file("complex.npy");
        assertMessage(complex + ": dtype '<c8'" + supported, complex);
        Path structured = Fixtures.file("structured.npy");
        assertMessage(structured + ": structured dtypes (records of fields) are not supported (supported: f2, f4, f8, "
                + "i1, i2, i4, i8, u1, u2, u4, u8, b1)", structured);
    }

    @Test
    void unsupportedVersion() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.file("dtype_f4.npy"));
        bytes[6] = 4;
        Path file = Files.write(tmp.resolve("v4.npy"), bytes);
        assertMessage(file + ": NumPy format version 4.0 is not supported (1.0, 2.0 and 3.0 are)", file);
    }

    @Test
    void malformedHeaders() throws IOException {
        Path notBool = withHeaderEdit("fortran.npy", "'fortran_order': False", "'fortran_order': 0    ");
        assertMessage(notBool + ": fortran_order is 0, not True or False", notBool);
        Path missing = withHeaderEdit("keys.npy", "'shape'", "'shapf'");
        assertMessage(missing + ": the .npy header must have the keys descr, fortran_order and shape, but has descr, "
                + "fortran_order, shapf", missing);
        Path broken = withHeaderEdit("broken.npy", "'descr': '<f4',", "'descr': '<f4';");
        assertMessage(broken + ": malformed .npy header {'descr': '<f4'; 'fortran_order': False, 'shape': (2, 4), }: "
                + "expected ',' or '}' at offset 15", broken);
        Path negative = withHeaderEdit("negative.npy", "(2, 4)", "(2,-4)");
        assertMessage(negative + ": shape (2, -4) is not a tuple of sizes", negative);
    }

    /** A copy of dtype_f4.npy with {@code from} replaced by {@code to} (of the same length) in its header. */
    private Path withHeaderEdit(String name, String from, String to) throws IOException {
        assertEquals(from.length(), to.length());
        byte[] bytes = Files.readAllBytes(Fixtures.file("dtype_f4.npy"));
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        assertEquals(true, text.contains(from), text.substring(0, 128));
        return Files.write(tmp.resolve(name), text.replace(from, to).getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void assertMessage(String expected, Path file) {
        DataException e = assertThrows(DataException.class, () -> Npy.read(file, "x"));
        assertEquals(expected, e.getMessage());
    }
}
