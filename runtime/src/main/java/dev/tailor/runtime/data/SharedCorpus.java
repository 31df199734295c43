package dev.tailor.runtime.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The project's text corpus, {@code shared/data/calibration-sentences.txt}: 4,000 English sentences split into
 * {@link LineRange#CALIBRATION} and {@link LineRange#EVALUATION}. It is not inside the repository but beside it
 * (a checkout {@code X/main} finds it at {@code X/shared/data/}), so it is looked for in each starting folder and
 * every folder above it.
 */
public final class SharedCorpus {
    public static final String RELATIVE_PATH = "shared/data/calibration-sentences.txt";

    private SharedCorpus() {}

    /** The corpus above any of {@code starts} (null entries are skipped), or a {@link DataException} saying where it looked. */
    public static Path find(Path... starts) {
        List<String> looked = new ArrayList<>();
        for (Path start : starts) {
            if (start == null) continue;
            Path abs = start.toAbsolutePath().normalize();
            looked.add(abs.toString());
            for (Path d = abs; d != null; d = d.getParent()) {
                Path p = d.resolve(RELATIVE_PATH);
                if (Files.isRegularFile(p)) return p;
            }
        }
        throw new DataException(RELATIVE_PATH + " not found in or above " + String.join(" or ", looked)
                + "; it comes beside the repository (../shared/data/), or give a text file of sentences");
    }

    /** The corpus above the working directory. */
    public static Path find() {
        return find(Path.of(""));
    }
}
