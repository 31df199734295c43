package dev.tailor.compiler.anatomy;

/** The part a weight plays in its sublayer; the printable name ends weight ids ({@code b3.attn.q}). */
public enum Role {
    Q("q"), K("k"), V("v"), O("o"), UP("up"), GATE("gate"), DOWN("down");

    private final String id;

    Role(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return id;
    }
}
