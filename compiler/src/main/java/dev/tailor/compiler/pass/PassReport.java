package dev.tailor.compiler.pass;

/** One pass run as the pass manager saw it: the step as written, how long it took, and the pass's result. */
public record PassReport(String pass, String step, long nanos, PassResult result) {
    public double millis() {
        return nanos / 1e6;
    }
}
