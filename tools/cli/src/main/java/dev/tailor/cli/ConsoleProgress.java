package dev.tailor.cli;

import dev.tailor.compiler.pass.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/** The task being reported on stderr, shared by the terminal bar and the plain lines. */
abstract class ConsoleProgress implements Progress {
    protected final PrintWriter err;
    protected String task;
    protected long total;
    private long started;

    ConsoleProgress(PrintWriter err) {
        this.err = err;
    }

    @Override
    public final void begin(String task, long total) {
        this.task = task;
        this.total = total;
        this.started = System.nanoTime();
        started();
    }

    @Override
    public final void update(long done) {
        if (task != null) progressed(done);
    }

    @Override
    public final void end() {
        if (task == null) return;
        finished(String.format(Locale.ROOT, "%s: done in %.1f s", task, seconds()));
        task = null;
    }

    protected double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    protected abstract void started();

    protected abstract void progressed(long done);

    /** {@code line} says what was done and how long it took. */
    protected abstract void finished(String line);
}
