package dev.tailor.compiler.pass;

/** A pass that cannot do its work on this model (an unsupported architecture, missing data): said in words. */
public class PassException extends RuntimeException {
    private final String pass;

    public PassException(String pass, String message) {
        super("pass '" + pass + "': " + message);
        this.pass = pass;
    }

    public PassException(String pass, String message, Throwable cause) {
        super("pass '" + pass + "': " + message, cause);
        this.pass = pass;
    }

    public String pass() {
        return pass;
    }
}
