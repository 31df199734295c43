package dev.tailor.runtime.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code .npz} archives from np.savez and np.savez_compressed, and malformed ones. */
class NpzTest {
    @TempDir
    Path tmp;

    @Test
    void readsStoredAndDeflatedArchives() throws IOException {
        for (String name : List.of("minilm.npz", "minilm_compressed.npz")) {
            Path file = Fixtures.file(name);
            int method = name.contains("compressed") ? ZipEntry.DEFLATED : ZipEntry.STORED;
            try (ZipFile zip = new ZipFile(file.toFile())) {
                zip.stream().forEach(e -> assertEquals(method, e.getMethod(), name + ": " + e.getName()));
            }
            Map<String, Tensor> arrays = Npz.read(file);
            assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), List.copyOf(arrays.keySet()), name);
            Fixtures.assertSameAsNumpy("minilm_ids", arrays.get("input_ids"));
            assertEquals("input_ids", arrays.get("input_ids").name());
            assertEquals(DataType.INT64, arrays.get("attention_mask").dataType());
            assertEquals(12, Arrays.stream(arrays.get("attention_mask").toLongs()).sum(), name + ": a mask of ones");
        }
    }

    @Test
    void truncatedArchive() throws IOException {
        Path source = Fixtures.file("minilm_compressed.npz");
        Path file = Fixtures.truncatedCopy(source, tmp, "cut.npz", Files.size(source) / 2);
        DataException e = assertThrows(DataException.class, () -> Npz.read(file));
        assertEquals(file + ": damaged or truncated .npz archive: its zip directory cannot be read", e.getMessage());
    }

    @Test
    void wrongMagic() throws IOException {
        Path npy = Files.copy(Fixtures.file("dtype_f4.npy"), tmp.resolve("array.npz"));
        DataException e = assertThrows(DataException.class, () -> Npz.read(npy));
        assertEquals(npy + ": not a NumPy .npz file: it starts with 93 4e 55 4d, not a zip header (50 4b 03 04); "
                + "it is a .npy file", e.getMessage());
        Path text = Files.writeString(tmp.resolve("text.npz"), "input_ids = [1, 2]");
        e = assertThrows(DataException.class, () -> Npz.read(text));
        assertEquals(text + ": not a NumPy .npz file: it starts with 69 6e 70 75, not a zip header (50 4b 03 04)",
                e.getMessage());
    }

    @Test
    void entryThatIsNotAnArray() {
        Path file = Fixtures.file("with_text.npz");
        DataException e = assertThrows(DataException.class, () -> Npz.read(file));
        assertEquals(file + ": entry 'notes.txt' is not a .npy array", e.getMessage());
    }

    @Test
    void truncatedArrayInsideTheArchive() throws IOException {
        byte[] npy = Files.readAllBytes(Fixtures.file("dtype_i8.npy"));
        Path file = tmp.resolve("inner.npz");
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("input_ids.npy"));
            zip.write(npy, 0, npy.length - 8);
            zip.closeEntry();
        }
        DataException e = assertThrows(DataException.class, () -> Npz.read(file));
        assertEquals(file + ": entry 'input_ids.npy': truncated: int64 [2, 4] needs 64 bytes of data, the file has 56",
                e.getMessage());
    }
}
