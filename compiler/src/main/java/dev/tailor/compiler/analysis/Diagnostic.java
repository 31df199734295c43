package dev.tailor.compiler.analysis;

/**
 * One problem found in a model: the rule it breaks, the element it concerns (such as {@code node 'Add_3' (Add)}
 * or {@code value 'x'}), and what is wrong, in words meant for the user.
 */
public record Diagnostic(String rule, String element, String message) {
    @Override
    public String toString() {
        return element + ": " + message + " [" + rule + "]";
    }
}
