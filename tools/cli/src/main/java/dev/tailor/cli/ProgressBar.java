package dev.tailor.cli;

import java.io.PrintWriter;
import java.util.Locale;

/** Progress on a terminal: one line redrawn in place, a bar when the total is known, elapsed time otherwise. */
final class ProgressBar extends ConsoleProgress {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private long lastDraw;
    private int drawnLength;

    ProgressBar(PrintWriter err) {
        super(err);
    }

    @Override
    protected void started() {
        drawnLength = 0;
        draw(0);
    }

    @Override
    protected void progressed(long done) {
        if (System.nanoTime() - lastDraw >= REDRAW_NANOS || done >= total) draw(done);
    }

    @Override
    protected void finished(String line) {
        // The bar gives way to one line saying what was done.
        err.print("\r" + pad(line));
        err.println();
        err.flush();
    }

    private void draw(long done) {
        lastDraw = System.nanoTime();
        String line;
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, done * WIDTH / total);
            line = String.format(Locale.ROOT, "%s [%s%s] %d/%d %.0f s", task, "#".repeat(filled),
                    " ".repeat(WIDTH - filled), done, total, seconds());
        } else {
            line = String.format(Locale.ROOT, "%s ... %.0f s", task, seconds());
        }
        err.print("\r" + pad(line));
        err.flush();
    }

    /** The line padded with blanks over whatever a longer earlier line left on the screen. */
    private String pad(String line) {
        String padded = line.length() < drawnLength ? line + " ".repeat(drawnLength - line.length()) : line;
        drawnLength = line.length();
        return padded;
    }
}
