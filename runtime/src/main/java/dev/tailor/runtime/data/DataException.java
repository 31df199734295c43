package dev.tailor.runtime.data;

/**
 * Calibration or test data that Tailor cannot use: a malformed file, an unsupported dtype, or arrays that do not
 * fit the model's inputs. The message names the file (or folder), the array and the problem, and is meant to be
 * shown to the user as it is.
 */
public final class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
