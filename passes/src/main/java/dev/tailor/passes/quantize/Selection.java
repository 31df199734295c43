package dev.tailor.passes.quantize;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Embedding;
import dev.tailor.compiler.anatomy.Stream;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Use;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which nodes the pass may touch, from {@code include} and {@code exclude} lists. An entry matches a node by op
 * type ({@code Gemm}), by name ({@code /encoder/layer.0/attention/self/query/MatMul}), or by anatomy id
 * ({@code b0.attn.o}); {@code *} matches any run of characters and {@code ?} one, so {@code *.ffn.down} or
 * {@code /encoder/layer.5/*} select groups. An empty include list includes everything; exclude wins.
 *
 * <p>Anatomy ids come from {@link AnatomyIds#ANATOMY}: a product whose weight the anatomy places answers to the
 * weight's id ({@code b0.attn.o}), its sublayer's ({@code b0.attn}) and its block's ({@code b0}); other nodes of a
 * sublayer to the sublayer's and block's; an embedding lookup to {@code embed.} and its kind ({@code embed.token},
 * {@code embed.position}, {@code embed.segment}). An entry that matches nothing is reported, never silently ignored.
 */
final class Selection {
    /**
     * The hook for anatomy ids: the ids of each node that a sublayer analysis names ({@code b0.attn.q},
     * {@code b3.ffn.down}, ...). Replace {@link #NONE} with the anatomy package's selector when it lands.
     */
    interface AnatomyIds {
        /** The ids of every node that has some, for {@code model}. */
        Map<Node, List<String>> of(Model model);

        AnatomyIds NONE = model -> Map.of();

        /** Ids from {@link Anatomy}; none for a model it cannot read as a transformer. */
        AnatomyIds ANATOMY = model -> {
            Anatomy a;
            try {
                a = Anatomy.of(model);
            } catch (RuntimeException e) {
                return Map.of();
            }
            Map<Node, List<String>> out = new HashMap<>();
            for (Stream st : a.streams())
                for (Embedding e : st.embeddings()) if (e.node() != null) add(out, e.node(), "embed." + e.kind());
            for (Sublayer s : a.sublayers()) {
                for (Weight w : s.weights().values())
                    for (Use u : w.matrix().value().uses()) add(out, u.node(), w.id());
                for (Node n : s.nodes()) {
                    add(out, n, s.id());
                    add(out, n, s.block().id());
                }
            }
            return out;
        };

        private static void add(Map<Node, List<String>> m, Node n, String id) {
            List<String> ids = m.computeIfAbsent(n, k -> new ArrayList<>());
            if (!ids.contains(id)) ids.add(id);
        }
    }

    private final List<String> include;
    private final List<String> exclude;
    private final List<Pattern> includePatterns;
    private final List<Pattern> excludePatterns;
    private final Map<Node, List<String>> ids;

    Selection(List<String> include, List<String> exclude, Map<Node, List<String>> anatomyIds) {
        this.include = include;
        this.exclude = exclude;
        this.includePatterns = include.stream().map(Selection::glob).toList();
        this.excludePatterns = exclude.stream().map(Selection::glob).toList();
        this.ids = anatomyIds;
    }

    boolean selects(Node n) {
        if (matches(excludePatterns, n)) return false;
        return includePatterns.isEmpty() || matches(includePatterns, n);
    }

    boolean excludes(Node n) {
        return matches(excludePatterns, n);
    }

    private boolean matches(List<Pattern> patterns, Node n) {
        for (Pattern p : patterns) {
            if (p.matcher(n.opType()).matches()) return true;
            if (n.name() != null && p.matcher(n.name()).matches()) return true;
            for (String id : ids.getOrDefault(n, List.of())) if (p.matcher(id).matches()) return true;
        }
        return false;
    }

    /** Entries of either list that match none of {@code nodes}, with a word on why where it helps. */
    List<String> unmatched(List<Node> nodes) {
        List<String> out = new ArrayList<>();
        check(include, includePatterns, nodes, "include", out);
        check(exclude, excludePatterns, nodes, "exclude", out);
        return out;
    }

    private void check(List<String> entries, List<Pattern> patterns, List<Node> nodes, String list, List<String> out) {
        for (int i = 0; i < entries.size(); i++) {
            Pattern p = patterns.get(i);
            boolean any = false;
            for (Node n : nodes) if (matches(List.of(p), n)) any = true;
            if (any) continue;
            String e = entries.get(i);
            boolean anatomyLike = e.contains(".") && !e.contains("/") && ids.isEmpty();
            out.add(list + " entry '" + e + "' matches no node" + (anatomyLike
                    ? " (it reads like an anatomy id, but the anatomy placed no blocks in this model)" : ""));
        }
    }

    /** A glob as a regular expression: {@code *} any run, {@code ?} one character, everything else literal. */
    static Pattern glob(String g) {
        StringBuilder re = new StringBuilder();
        for (char c : g.toCharArray()) {
            if (c == '*') re.append(".*");
            else if (c == '?') re.append('.');
            else re.append(Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString());
    }
}
