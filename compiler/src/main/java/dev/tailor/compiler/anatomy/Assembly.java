package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.anatomy.Finder.Draft;
import dev.tailor.compiler.anatomy.Projections.Proj;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns the finder's chains and drafts into streams, blocks and sublayers with ids and node sets. */
final class Assembly {
    private final Finder f;
    private final GraphView g;
    private final List<List<Junction>> chains;
    private final List<Stream> streams = new ArrayList<>();
    private final Set<Node> blocked = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Node> placed = Collections.newSetFromMap(new IdentityHashMap<>());

    Assembly(Finder f, List<List<Junction>> chains) {
        this.f = f;
        this.g = f.g;
        this.chains = chains;
    }

    Anatomy build() {
        // nodes no sublayer may take over: the stream itself, every norm, every residual add
        for (Junction j : f.junctions) {
            blocked.add(j.node);
            for (Value v = j.skip; v != null && v.producer() != null; ) {
                blocked.add(g.top(v.producer()));
                Value s = g.stripCasts(v);
                if (s == v) break;
                v = v.producer().input(0);
            }
        }
        for (Norm n : f.norms.all) blocked.addAll(n.nodes());

        int index = 0;
        for (List<Junction> chain : chains) {
            Stream st = new Stream(streams.size());
            streams.add(st);
            ends(st, chain);
        }
        // sublayers, blocks numbered across streams in graph order
        for (int c = 0; c < chains.size(); c++) {
            Stream st = streams.get(c);
            Block block = null;
            List<Junction> placedOnStream = chains.get(c).stream().filter(j -> j.draft != null).toList();
            for (int k = 0; k < placedOnStream.size(); k++) {
                Junction j = placedOnStream.get(k);
                Draft d = j.draft;
                boolean front = d.kind == SublayerKind.FFN && k + 1 < placedOnStream.size()
                        && placedOnStream.get(k + 1).draft.kind == SublayerKind.ATTN
                        && (block == null || block.sublayer(SublayerKind.FFN) != null);
                boolean startNew = block == null || front
                        || (d.kind == SublayerKind.ATTN && !block.sublayers.isEmpty() && !block.frontOnly())
                        || block.sublayer(d.kind) != null;
                if (startNew) {
                    block = new Block(index++, st);
                    st.blocks.add(block);
                }
                block.sublayers.add(sublayer(block, j, d, front));
            }
        }
        Embedding token = null;
        for (Stream st : streams) {
            for (Embedding e : st.embeddings) if (e.kind().equals("token") && token == null) token = e;
        }
        Set<Node> claimed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Stream st : streams) for (Block b : st.blocks) for (Sublayer s : b.sublayers()) claimed.addAll(s.nodes());
        for (Stream st : streams) {
            Embedding own = null;
            for (Embedding e : st.embeddings) if (e.kind().equals("token")) own = e;
            Set<Node> headNodes = new LinkedHashSet<>();
            Value end = st.finalNorm != null ? st.finalNorm.output() : st.output;
            if (end != null) st.heads.addAll(new Ends(f).heads(end, claimed, own != null ? own : token, headNodes));
            placed.addAll(headNodes);
        }
        name();
        completeness();
        return Anatomy.create(streams, f.unplaced);
    }

    // ---- stream ends ----

    private void ends(Stream st, List<Junction> chain) {
        Junction first = chain.get(0);
        Junction last = chain.get(chain.size() - 1);
        boolean pre = false;
        for (Junction j : chain) pre |= j.draft != null && j.draft.preNorm != null;
        Norm trailing = last.fusedNorm() ? f.norms.of(last.node) : last.sum != null ? f.norms.reading(last.sum) : null;
        if (trailing != null && trailing.nodes().stream().anyMatch(f::isJunction) && !last.fusedNorm()) trailing = null;
        if (trailing != null) {
            if (pre) st.finalNorm = trailing.at(Norm.Placement.FINAL);
            else if (last.postNorm == null) {
                last.postNorm = trailing.at(Norm.Placement.POST);
                last.after = trailing.output();
            }
        }
        st.output = last.postNorm != null ? last.postNorm.output() : last.sum != null ? last.sum : last.normed;
        st.input = g.stripCasts(first.skip);
        Value e = st.input;
        Norm en = f.norms.producing(st.input);
        Set<Node> embNodes = new LinkedHashSet<>();
        if (en != null && en.output() == st.input && !f.isJunction(st.input.producer())) {
            st.embeddingNorm = en.at(Norm.Placement.EMBEDDING);
            embNodes.addAll(en.nodes());
            if (en.input() != null) e = en.input();
        }
        st.embeddings.addAll(new Ends(f).embeddings(e, embNodes));
        st.embeddingNodes = embNodes;
        blocked.addAll(embNodes);
        placed.addAll(embNodes);
        long h = g.lastDim(st.input);
        st.hiddenSize = h;
    }

    // ---- sublayers ----

    private Sublayer sublayer(Block block, Junction j, Draft d, boolean front) {
        String id = block.id() + "." + d.kind.id() + (front ? Block.FRONT_SUFFIX : "");
        int n = 2;
        while (true) {
            String candidate = id;
            if (block.sublayers.stream().noneMatch(s -> s.id().equals(candidate))) break;
            id = block.id() + "." + d.kind.id() + n++;
        }
        Map<Role, Weight> weights = new java.util.EnumMap<>(Role.class);
        for (Map.Entry<Role, Weight> e : d.weights.entrySet()) weights.put(e.getKey(), e.getValue().withId(id + "."
                + e.getKey().id()));
        Norm norm = d.preNorm != null ? d.preNorm : j.postNorm;
        Set<Node> nodes = nodes(j, d, norm);
        placed.addAll(nodes);
        if (block.stream().hiddenSize < 0) block.stream().hiddenSize = d.weights.values().iterator().next().in();
        Value out = j.postNorm != null ? j.postNorm.output() : j.after;
        return new Sublayer(id, d.kind, block, j.node, j.skip, out, d.branchIn, j.branch, norm, weights, d.attention,
                d.ffn, nodes, targeted(f.proj.sideBranchList(nodes), weights));
    }

    /** The branch's nodes: its region, the residual add, its norm, its projections, and what only they use. */
    private Set<Node> nodes(Junction j, Draft d, Norm norm) {
        Set<Node> set = new LinkedHashSet<>();
        for (Node n : g.nodes) if (j.region.contains(n)) set.add(n);
        set.add(j.node);
        set.addAll(d.extraNodes);
        if (norm != null) set.addAll(norm.nodes());
        for (Weight w : d.weights.values()) {
            Proj p = projectionOf(w);
            if (p != null) set.add(p.node());
        }
        Set<Node> own = Collections.newSetFromMap(new IdentityHashMap<>());
        own.add(j.node);
        if (norm != null) own.addAll(norm.nodes());
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Node n : List.copyOf(set)) {
                // a residual add's inputs are the stream and a branch; a fused one may be another sublayer's
                if (f.isJunction(n)) continue;
                for (Value in : g.inputs(n)) {
                    Node p = in.producer() == null ? null : g.top(in.producer());
                    if (p == null || set.contains(p) || (blocked.contains(p) && !own.contains(p))) continue;
                    if (usedOnlyBy(p, set)) {
                        set.add(p);
                        changed = true;
                    }
                }
            }
        }
        List<Node> ordered = new ArrayList<>();
        for (Node n : g.nodes) if (set.contains(n)) ordered.add(n);
        return new LinkedHashSet<>(ordered);
    }

    /** The projection node that reads a weight's matrix (directly, or through a Transpose or Cast). */
    /** Each LoRA update with the role of the projection whose output (or biased output) it joins. */
    private List<SideBranch> targeted(List<SideBranch> sides, Map<Role, Weight> weights) {
        List<SideBranch> out = new ArrayList<>();
        for (SideBranch b : sides) {
            Node join = b.join();
            Value main = b.nodes().contains(join.input(0).producer()) ? join.input(1) : join.input(0);
            StringBuilder role = new StringBuilder();
            for (int step = 0; step < 3 && role.isEmpty() && main != null && main.producer() != null; step++) {
                Node p = main.producer();
                for (Map.Entry<Role, Weight> e : weights.entrySet()) {
                    Proj pr = projectionOf(e.getValue());
                    if (pr != null && pr.node() == p) role.append(e.getKey().id());
                }
                main = GraphView.is(p, "Add") ? (g.isDynamic(p.input(0)) ? p.input(0) : p.input(1)) : null;
            }
            out.add(b.kind().equals("lora") && !role.isEmpty() ? b.on(role.toString()) : b);
        }
        return out;
    }

    private Proj projectionOf(Weight w) {
        Value m = w.matrix().value();
        for (Node u : g.users(m)) {
            Proj p = f.proj.of(u);
            if (p != null && p.weight().value() == m) return p;
        }
        // through a Transpose or Cast of the weight
        for (Node u : g.users(m))
            for (Value o : u.outputs())
                if (o != null)
                    for (Node uu : g.users(o)) {
                        Proj p = f.proj.of(uu);
                        if (p != null && p.weight().value() == m) return p;
                    }
        return null;
    }

    private boolean usedOnlyBy(Node p, Set<Node> set) {
        boolean any = false;
        for (Value o : p.outputs()) {
            if (o == null) continue;
            if (o.isGraphOutput()) return false;
            for (Node u : g.users(o)) {
                if (!set.contains(u)) return false;
                any = true;
            }
        }
        return any;
    }

    // ---- names ----

    private void name() {
        Set<Value> kvSources = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Stream st : streams)
            for (Block b : st.blocks)
                for (Sublayer s : b.sublayers())
                    if (s.attention() != null
                            && s.attention().kvSource() != null) kvSources.add(g.stripCasts(s.attention().kvSource()));
        for (Stream st : streams) {
            boolean cross = false;
            Boolean causal = null;
            boolean allBidirectional = true;
            int self = 0;
            for (Block b : st.blocks)
                for (Sublayer s : b.sublayers()) {
                    if (s.kind() == SublayerKind.XATTN) cross = true;
                    if (s.kind() == SublayerKind.ATTN) {
                        self++;
                        Boolean c = s.attention().causal();
                        if (Boolean.TRUE.equals(c)) causal = Boolean.TRUE;
                        if (!Boolean.FALSE.equals(c)) allBidirectional = false;
                    }
                }
            Value end = st.finalNorm != null ? st.finalNorm.output() : st.output;
            boolean feedsCross = end != null && kvSources.contains(g.stripCasts(end));
            if (cross || Boolean.TRUE.equals(causal)) st.name = "decoder";
            else if (feedsCross || (self > 0 && allBidirectional)) st.name = "encoder";
            else st.name = "stream";
        }
    }

    // ---- what is left ----

    private void completeness() {
        for (Stream st : streams) {
            if (st.finalNorm != null) placed.addAll(st.finalNorm.nodes());
            if (st.embeddingNorm != null) placed.addAll(st.embeddingNorm.nodes());
        }
        Set<Node> explained = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Junction j : f.junctions) {
            if (j.draft == null) {
                explained.addAll(j.region);
                explained.add(j.node);
            }
        }
        if (f.junctions.isEmpty()) {
            f.unplaced.add(0, new Unplaced(null, f.addsExamined() == 0
                    ? "no residual connection: the graph has no Add or Skip*LayerNormalization of two activations"
                    : "no residual connection: none of the " + f.addsExamined()
                            + " Adds of two activations adds a branch "
                    + "computed from one operand through a weight projection back onto that operand"));
        }
        Set<Norm> reported = new LinkedHashSet<>();
        for (Node n : g.nodes) {
            if (placed.contains(n) || explained.contains(n)) continue;
            Proj p = f.proj.of(n);
            String why = null;
            if (p != null) {
                why = "weight projection " + p.weight() + " is in no block, embedding or head";
            } else if (GraphView.is(n, "Softmax")) {
                why = "Softmax is in no attention sublayer";
            } else if (Finder.isFusedAttention(n)) {
                why = "attention operator is on no residual branch";
            } else if ((GraphView.is(n, "Conv") || GraphView.is(n, "ConvTranspose")) && weightOf(n) != null) {
                why = "convolution with weight " + weightOf(n) + " is in no block and is not a patch embedding";
            } else {
                Norm norm = f.norms.of(n);
                if (norm != null && reported.add(norm)) why = norm.describe() + " is on no residual stream";
            }
            if (why != null) f.unplaced.add(new Unplaced(n, why));
        }
    }

    private String weightOf(Node conv) {
        Value w = conv.input(1);
        Tensor t = g.constant(w);
        return t == null ? null : w.name() + java.util.Arrays.toString(t.dims());
    }
}
