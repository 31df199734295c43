package dev.tailor.cli;

import dev.tailor.compiler.pass.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/** Progress on a terminal: one line redrawn in place, a bar when the total is known, elapsed time otherwise. */
final class ProgressBar implements Progress {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private String task;
    private long total;
    private long started;
    private long lastDraw;
    private int drawnLength;

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void begin(String task, long total) {
        this.task = task;
        this.total = total;
        this.started = System.nanoTime();
        this.lastDraw = 0;
        draw(0);
    }

    @Override
    public void update(long done) {
        long now = System.nanoTime();
        if (task == null || now - lastDraw < REDRAW_NANOS && done < total) return;
        draw(done);
    }

    @Override
    public void end() {
        if (task == null) return;
        // Clear the bar and leave one line saying what was done and how long it took.
        String line = String.format(Locale.ROOT, "%s: done in %.1f s", task, (System.nanoTime() - started) / 1e9);
        err.print("\r" + pad(line));
        err.println();
        err.flush();
        task = null;
        drawnLength = 0;
    }

    private void draw(long done) {
        lastDraw = System.nanoTime();
        double seconds = (lastDraw - started) / 1e9;
        String line;
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, done * WIDTH / total);
            line = String.format(Locale.ROOT, "%s [%s%s] %d/%d %.0f s", task, "#".repeat(filled),
                    " ".repeat(WIDTH - filled), done, total, seconds);
        } else {
            line = String.format(Locale.ROOT, "%s ... %.0f s", task, seconds);
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
