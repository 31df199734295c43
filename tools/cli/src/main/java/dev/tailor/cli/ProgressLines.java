package dev.tailor.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress where nothing can be redrawn (a log file, CI): a line when a task starts, one every quarter of it (when
 * its size is known), and one when it ends.
 */
final class ProgressLines extends ConsoleProgress {
    private int quartersSaid;

    ProgressLines(PrintWriter err) {
        super(err);
    }

    @Override
    protected void started() {
        quartersSaid = 0;
        say(task + (total > 0 ? " (" + total + ")" : "") + " ...");
    }

    @Override
    protected void progressed(long done) {
        if (total <= 0) return;
        int quarter = (int) Math.min(4, done * 4 / total);
        if (quarter <= quartersSaid || quarter == 4) return;
        quartersSaid = quarter;
        say(String.format(Locale.ROOT, "%s: %d/%d", task, done, total));
    }

    @Override
    protected void finished(String line) {
        say(line);
    }

    private void say(String line) {
        err.println(line);
        err.flush();
    }
}
