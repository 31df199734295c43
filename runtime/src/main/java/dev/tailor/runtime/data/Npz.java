package dev.tailor.runtime.data;

import dev.tailor.compiler.ir.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads NumPy's {@code .npz} archives ({@code np.savez} and {@code np.savez_compressed}): a zip file of
 * {@code .npy} entries, stored or deflated, each named after its key. Arrays come back in the archive's order,
 * keyed by entry name without {@code .npy}. A file that is not a zip archive, a damaged or truncated archive, an
 * entry that is not {@code .npy}, and a malformed array fail with a {@link DataException} naming the file (and the
 * entry).
 */
public final class Npz {
    private static final byte[] LOCAL_HEADER = {'P', 'K', 3, 4};
    private static final byte[] EMPTY_ARCHIVE = {'P', 'K', 5, 6};

    private Npz() {}

    /** True if {@code head} (a file's first bytes) starts like a zip archive. */
    static boolean hasMagic(byte[] head) {
        if (head.length < 4) return false;
        byte[] four = Arrays.copyOf(head, 4);
        return Arrays.equals(four, LOCAL_HEADER) || Arrays.equals(four, EMPTY_ARCHIVE);
    }

    public static Map<String, Tensor> read(Path file) {
        byte[] head = DataSources.head(file, 6);
        if (!hasMagic(head))
            throw new DataException(file + ": not a NumPy .npz file: " + Npy.startsWith(Arrays.copyOf(head, Math.min(4, head.length)))
                    + ", not a zip header (50 4b 03 04)" + (Npy.hasMagic(head) ? "; it is a .npy file" : ""));
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) continue;
                String entry = e.getName();
                if (!entry.endsWith(".npy"))
                    throw new DataException(file + ": entry '" + entry + "' is not a .npy array");
                String key = entry.substring(0, entry.length() - 4);
                if (out.containsKey(key)) throw new DataException(file + ": the archive holds '" + entry + "' twice");
                if (e.getSize() > Npy.MAX_BYTES)
                    throw new DataException(file + ": entry '" + entry + "' is " + e.getSize()
                            + " bytes, more than one array may hold (2 GiB)");
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) {
                    bytes = in.readAllBytes();
                } catch (IOException x) {
                    throw new DataException(file + ": entry '" + entry + "' is damaged: " + x.getMessage(), x);
                }
                out.put(key, Npy.parse(ByteBuffer.wrap(bytes), file + ": entry '" + entry + "'", key));
            }
        } catch (IOException e) {
            // ZipFile reads the central directory at the end of the file: a truncated archive has none.
            throw new DataException(file + ": damaged or truncated .npz archive: its zip directory cannot be read", e);
        }
        return out;
    }
}
