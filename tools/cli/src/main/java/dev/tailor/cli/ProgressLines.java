package dev.tailor.cli;

import dev.tailor.compiler.pass.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress where nothing can be redrawn (a log file, CI): a line when a task starts, one every quarter of it (when
 * its size is known), and one when it ends.
 */
final class ProgressLines implements Progress {
    private final PrintWriter err;
    private String task;
    private long total;
    private long started;
    private int quartersSaid;

    ProgressLines(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void begin(String task, long total) {
        this.task = task;
        this.total = total;
        this.started = System.nanoTime();
        this.quartersSaid = 0;
        say(task + (total > 0 ? " (" + total + ")" : "") + " ...");
    }

    @Override
    public void update(long done) {
        if (task == null || total <= 0) return;
        int quarter = (int) Math.min(4, done * 4 / total);
        if (quarter <= quartersSaid || quarter == 4) return;
        quartersSaid = quarter;
        say(String.format(Locale.ROOT, "%s: %d/%d", task, done, total));
    }

    @Override
    public void end() {
        if (task == null) return;
        say(String.format(Locale.ROOT, "%s: done in %.1f s", task, (System.nanoTime() - started) / 1e9));
        task = null;
    }

    private void say(String line) {
        err.println(line);
        err.flush();
    }
}
