package dev.tailor.cli;

import dev.tailor.compiler.pass.Progress;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * What a command prints besides its result: notes, per-step lines and progress, all on stderr (stdout holds only
 * the result), as much as {@code --quiet} and {@code --verbose} allow.
 */
final class Console {
    /** The verbosity options, set on the root command and inherited by every subcommand. */
    static final class Settings {
        boolean quiet;
        boolean verbose;
    }

    private final Settings settings;
    private final PrintWriter out;
    private final PrintWriter err;

    Console(Settings settings, PrintWriter out, PrintWriter err) {
        this.settings = settings;
        this.out = out;
        this.err = err;
    }

    /** The console of the command being run. */
    static Console of(CommandLine.Model.CommandSpec spec) {
        Settings s = spec.root().userObject() instanceof Main m ? m.console : new Settings();
        return new Console(s, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    PrintWriter out() {
        return out;
    }

    PrintWriter err() {
        return err;
    }

    boolean quiet() {
        return settings.quiet && !settings.verbose;
    }

    boolean verbose() {
        return settings.verbose;
    }

    /** A line about the work (a pass finished, a file written), unless quiet. */
    void info(String line) {
        if (quiet()) return;
        err.println(line);
        err.flush();
    }

    /** Detail for --verbose only. */
    void detail(String line) {
        if (!verbose()) return;
        err.println(line);
        err.flush();
    }

    /** A notice the user should see (a CPU fallback, synthetic data), unless quiet. */
    void note(String text) {
        info("tailor: note: " + text);
    }

    void notes(java.util.List<String> notices) {
        notices.forEach(this::note);
    }

    /** Progress of long work: a bar on a terminal, plain lines otherwise, nothing when quiet. */
    Progress progress() {
        if (quiet()) return Progress.NONE;
        return isTerminal() ? new ProgressBar(err) : new ProgressLines(err);
    }

    /** Whether stderr is a terminal that redraws a line ({@code System.console()} needs stdin and stdout to be one). */
    private static boolean isTerminal() {
        String term = System.getenv("TERM");
        return System.console() != null && term != null && !term.equals("dumb");
    }
}
