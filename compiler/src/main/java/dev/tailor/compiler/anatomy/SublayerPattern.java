package dev.tailor.compiler.anatomy;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Selects anatomy parts by their printable ids: {@code b3.attn} (a sublayer), {@code b3.ffn.down} (a weight),
 * {@code b3} (a block). Ids are dot-separated segments; {@code *} stands for any run of characters within one
 * segment, so {@code *.ffn.down} selects every block's FFN down projection, {@code b*.attn} every self-attention,
 * {@code b1*.ffn} the FFNs of {@code b1} and {@code b10}–{@code b19}, and {@code *.*.q} every query weight.
 * A pattern matches only ids with as many segments as it has: {@code b3.*} selects b3's sublayers, not its
 * weights.
 */
public final class SublayerPattern {
    private static final Pattern SYNTAX = Pattern.compile("[A-Za-z0-9_*]+(\\.[A-Za-z0-9_*]+)*");

    private final String text;
    private final List<Pattern> segments;

    private SublayerPattern(String text) {
        this.text = text;
        this.segments = Arrays.stream(text.split("\\.", -1)).map(SublayerPattern::glob).toList();
    }

    /**
     * Parses a pattern; fails with a message naming the problem when it is empty or holds characters other than
     * letters, digits, {@code _}, {@code *} and dots between segments.
     */
    public static SublayerPattern parse(String text) {
        Objects.requireNonNull(text, "text");
        if (!SYNTAX.matcher(text).matches())
            throw new IllegalArgumentException("bad sublayer pattern '" + text
                    + "': expected dot-separated segments of "
                    + "letters, digits, '_' and '*', such as 'b3.attn' or '*.ffn.down'");
        return new SublayerPattern(text);
    }

    private static Pattern glob(String segment) {
        String[] parts = segment.split("\\*", -1);
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) re.append(".*");
            re.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(re.toString());
    }

    /** True when {@code id} has as many segments as the pattern and each segment matches. */
    public boolean matches(String id) {
        String[] parts = id.split("\\.", -1);
        if (parts.length != segments.size()) return false;
        for (int i = 0; i < parts.length; i++) if (!segments.get(i).matcher(parts[i]).matches()) return false;
        return true;
    }

    /** Number of segments: 1 selects blocks, 2 sublayers, 3 weights. */
    public int depth() {
        return segments.size();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SublayerPattern p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
