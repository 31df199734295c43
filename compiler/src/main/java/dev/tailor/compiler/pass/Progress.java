package dev.tailor.compiler.pass;

/** Where long-running passes say how far they are; the command line draws it as a progress bar or lines. */
public interface Progress {
    /** Starts a task of {@code total} units (0 if unknown). */
    void begin(String task, long total);

    /** {@code done} units of the current task are complete. */
    void update(long done);

    void end();

    Progress NONE = new Progress() {
        @Override
        public void begin(String task, long total) {}

        @Override
        public void update(long done) {}

        @Override
        public void end() {}
    };
}
