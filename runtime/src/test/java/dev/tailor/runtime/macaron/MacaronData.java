package dev.tailor.runtime.macaron;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared sentence corpus lies (the tests run from a module folder of a checkout or worktree). */
final class MacaronData {
    private static final String SENTENCES = "shared/data/calibration-sentences.txt";

    private MacaronData() {}

    static Path sentences() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve(SENTENCES);
            if (Files.isRegularFile(p)) return p;
        }
        throw new AssertionError(SENTENCES + " not found above " + Path.of("").toAbsolutePath());
    }
}
