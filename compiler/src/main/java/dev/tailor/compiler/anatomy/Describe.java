package dev.tailor.compiler.anatomy;

import java.util.ArrayList;
import java.util.List;

/** One-line descriptions of anatomy parts, as {@code tailor inspect} prints them. */
final class Describe {
    private Describe() {}

    /**
     * {@code attn(12x32)} (heads x head size), {@code attn(32x128, kv 8, causal, rotary)}, {@code ffn(1536, gelu_erf)},
     * {@code ffn(11008, swiglu)}.
     */
    static String sublayer(Sublayer s) {
        List<String> parts = new ArrayList<>();
        if (s.attention() != null) {
            Attention a = s.attention();
            String h = a.heads() == null ? "?" : a.heads().toString();
            parts.add(h + "x" + (a.headSize() == null ? "?" : a.headSize()));
            if (a.groupedQuery()) parts.add("kv " + a.kvHeads());
            if (Boolean.TRUE.equals(a.causal())) parts.add("causal");
            if (a.rotary()) parts.add("rotary");
            if (!"separate".equals(a.qkv())) parts.add("qkv " + a.qkv());
            if (a.op() != null) parts.add(a.op());
        } else if (s.ffn() != null) {
            Ffn f = s.ffn();
            parts.add(Long.toString(f.hidden()));
            parts.add(f.describe());
            if (f.op() != null) parts.add(f.op());
        }
        for (SideBranch b : s.sideBranches()) parts.add("+" + b.describe());
        return s.kind().id() + "(" + String.join(", ", parts) + ")";
    }
}
