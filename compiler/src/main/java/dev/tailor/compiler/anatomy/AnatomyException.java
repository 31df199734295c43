package dev.tailor.compiler.anatomy;

import java.util.List;

/** A pass needed an anatomy the model does not have; the message lists what anatomy could not place. */
public final class AnatomyException extends RuntimeException {
    private final List<Unplaced> unplaced;

    public AnatomyException(String message, List<Unplaced> unplaced) {
        super(message + (unplaced.isEmpty() ? "" : ": " + summary(unplaced)));
        this.unplaced = List.copyOf(unplaced);
    }

    public List<Unplaced> unplaced() {
        return unplaced;
    }

    private static String summary(List<Unplaced> u) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(3, u.size()); i++) b.append(i == 0 ? "" : "; ").append(u.get(i));
        if (u.size() > 3) b.append("; and ").append(u.size() - 3).append(" more");
        return b.toString();
    }
}
