package dev.tailor.passes.lora;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Role;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerPattern;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.ir.FreshNames;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.pass.IntRange;
import dev.tailor.compiler.pass.Option;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.passes.graft.Graft;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA (Hu et al., 2021): a projection {@code y = x·W} gains a low-rank branch, {@code y = x·W + s·x·Aᵀ·Bᵀ}, with
 * {@code s = alpha / r} ({@code alpha / sqrt(r)} for rank-stabilized LoRA).
 *
 * <p>Fresh branches go on the projections {@code targets} names (anatomy roles such as {@code q} and {@code v},
 * or ids and patterns such as {@code b0.attn.q} and {@code *.ffn.down}): A drawn as PEFT draws it (uniform in
 * ±1/sqrt(in)), B zero, so the model computes exactly what it did. With {@code weights=FILE} the branches carry a
 * trained PEFT adapter instead ({@link PeftAdapter}), and with {@code merge=true} the update is folded into the
 * base weights, {@code W + s·(B·A)ᵀ} in the stored layout, so inference costs nothing extra. A merged weight that
 * something else also reads (a tied or shared matrix) is not changed: the site gets a merged copy, and the pass
 * says so.
 */
@PassDef(name = "lora", summary = "add low-rank (LoRA) branches to projections, or load and merge a trained PEFT adapter")
public final class Lora implements Pass {

    @Option(doc = "projections for fresh branches: roles (q, k, v, o, up, gate, down) or ids/patterns (b0.attn.q, "
            + "*.ffn.down); empty: q and v. With weights, the adapter's modules decide", element = String.class)
    List<String> targets = List.of();

    @Option(doc = "rank r of fresh branches", min = 1)
    int rank = 8;

    @Option(doc = "alpha of fresh branches: the update is scaled by alpha/r", min = 0)
    double alpha = 16;

    @Option(doc = "rank-stabilized scaling alpha/sqrt(r) for fresh branches")
    boolean rslora = false;

    @Option(doc = "blocks that get fresh branches, by index (2..5)")
    IntRange blocks = IntRange.ALL;

    @Option(doc = "a trained PEFT adapter: adapter_model.safetensors (or its folder), adapter_config.json beside it")
    String weights = "";

    @Option(doc = "fold the loaded update into the base weights instead of adding branches")
    boolean merge = false;

    @Option(doc = "make the branch weights graph inputs too (their values stay as defaults), for training tools")
    boolean expose = false;

    @Option(doc = "seed for the fresh A matrices")
    long seed = 0;

    /** PEFT's scale: {@code alpha / r}, or {@code alpha / sqrt(r)} with rank-stabilized LoRA. */
    static double scale(double alpha, int rank, boolean rslora) {
        return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        Anatomy anatomy = Graft.anatomy(model, "lora");
        PassResult result = PassResult.changed(true);
        List<LoraUpdate> updates;
        if (weights.isEmpty()) {
            if (merge)
                throw new PassException("lora", "merge=true needs weights=FILE: fresh branches are zero, so merging "
                        + "them would change nothing");
            updates = fresh(anatomy);
            result.metric("source", "fresh").metric("rank", rank).metric("scale", scale(alpha, rank, rslora));
        } else {
            if (!targets.isEmpty())
                throw new PassException("lora", "targets and weights exclude each other: a loaded adapter's "
                        + "target_modules decide which projections change; leave targets out");
            PeftAdapter peft = PeftAdapter.read(Path.of(weights));
            updates = loaded(anatomy, peft);
            result.metric("source", peft.file.toString()).metric("rank", peft.rank).metric("scale", peft.scale())
                    .metric("fan_in_fan_out", peft.fanInFanOut).metric("modules", peft.modules.size());
        }
        result.metric("sites", updates.stream().map(u -> u.site().id()).toList());
        if (merge) {
            int copies = mergeAll(model, updates, result);
            return result.metric("mode", "merged").metric("weights_merged", updates.size())
                    .metric("shared_weights_copied", copies).metric("parameters_added", 0L);
        }
        Graft graft = new Graft(model, "lora", expose);
        Map<Node, Value> outputs = new IdentityHashMap<>();
        for (LoraUpdate u : updates) insert(graft, u, outputs);
        return result.metric("mode", "inserted").metric("exposed", expose)
                .metric("parameters_added", graft.parameters());
    }

    /** Zero-B updates on the targeted projections of the chosen blocks. */
    private List<LoraUpdate> fresh(Anatomy anatomy) {
        List<String> wanted = targets.isEmpty() ? List.of("q", "v") : targets;
        Map<String, LoraSite> sites = new LinkedHashMap<>();
        for (String t : wanted) {
            List<Weight> matched = new ArrayList<>();
            Role role = Arrays.stream(Role.values()).filter(r -> r.id().equals(t)).findFirst().orElse(null);
            SublayerPattern p = role != null ? SublayerPattern.parse("*.*." + t) : pattern(t);
            for (Weight w : anatomy.weights(p)) if (blocks.contains(blockOf(anatomy, w).index())) matched.add(w);
            if (matched.isEmpty())
                throw new PassException("lora", "target '" + t + "' matches no weight in blocks " + blocks + " (the "
                        + "model has " + anatomy.weights().size() + " weights, such as "
                        + anatomy.weights().get(0).id() + ")");
            for (Weight w : matched) sites.putIfAbsent(w.id(), LoraSite.of(sublayer(anatomy, w), w, w.id(), false));
        }
        Random random = new Random(seed);
        List<LoraUpdate> out = new ArrayList<>();
        for (LoraSite s : sites.values()) {
            float[] a = new float[(int) (rank * s.in())];
            double bound = 1 / Math.sqrt(s.in());
            for (int i = 0; i < a.length; i++) a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            out.add(new LoraUpdate(s, a, new float[(int) (s.width() * rank)], rank, scale(alpha, rank, rslora)));
        }
        return out;
    }

    /** The adapter's modules placed by layer index and role, with A and B checked against each site's shape. */
    private static List<LoraUpdate> loaded(Anatomy anatomy, PeftAdapter peft) {
        List<LoraUpdate> out = new ArrayList<>();
        for (PeftAdapter.Module m : peft.modules) {
            Block block = m.layer() < anatomy.blocks().size() ? anatomy.blocks().get(m.layer()) : null;
            Role first = m.roles().get(0);
            Sublayer s = block == null ? null : block.sublayers().stream()
                    .filter(x -> x.kind().isAttention() == isAttention(first) && x.weight(first) != null)
                    .findFirst().orElse(null);
            if (s == null)
                throw PeftAdapter.error(peft.file, m.a().name(), "targets layer " + m.layer() + "'s " + first
                        + " projection, which the model does not have (it has blocks b0.." + "b"
                        + (anatomy.blocks().size() - 1) + ")");
            boolean whole = m.roles().size() > 1;
            Weight w = s.weight(first);
            for (Role r : m.roles())
                if (s.weight(r) == null || s.weight(r).matrix().value() != w.matrix().value())
                    throw PeftAdapter.error(peft.file, m.a().name(), "module '" + m.name() + "' is one matrix for "
                            + m.roles() + ", but " + s.id() + " keeps them in separate weights");
            String id = whole ? s.id() + "." + String.join("", m.roles().stream().map(Role::id).toList()) : w.id();
            LoraSite site = LoraSite.of(s, w, id, whole);
            long[] a = m.a().dims();
            long[] b = m.b().dims();
            if (a[1] != site.in())
                throw PeftAdapter.error(peft.file, m.a().name(), "shape mismatch: A is " + PeftAdapter.shape(m.a())
                        + " but " + id + " has " + site.in() + " input features (A must be [r, " + site.in() + "])");
            if (b[0] != site.width())
                throw PeftAdapter.error(peft.file, m.b().name(), "shape mismatch: B is " + PeftAdapter.shape(m.b())
                        + " but " + id + " has " + site.width() + " output features (B must be [" + site.width()
                        + ", r])");
            out.add(new LoraUpdate(site, m.aValues(), m.bValues(), peft.rank, peft.scale()));
        }
        return out;
    }

    /** {@code y = x·W} becomes {@code y + s·(x·Aᵀ)·Bᵀ}; every reader of y reads the sum. */
    private void insert(Graft graft, LoraUpdate u, Map<Node, Value> outputs) {
        LoraSite s = u.site();
        Node product = s.product();
        Value y = outputs.getOrDefault(product, biased(product.output(0)));
        Value a = graft.weight(s.id() + ".lora_A", new long[] {s.in(), u.rank()}, u.aTransposed());
        Value b = graft.weight(s.id() + ".lora_B", new long[] {u.rank(), s.out()}, u.bTransposed());
        Graft.Cursor c = graft.after(y.producer());
        String prefix = s.id() + ".lora";
        Value low = c.op(prefix, "MatMul", c.op(prefix, "MatMul", product.input(0), a), b);
        if (u.scale() != 1) low = c.op(prefix, "Mul", low, graft.scalar(prefix + ".scale", (float) u.scale()));
        Value sum = c.op(prefix, "Add", y, low);
        Graft.redirect(y, sum, sum.producer());
        outputs.put(product, sum);
    }

    /** The product's output after its bias Add, when it has one (the update joins after it, as the bias stays its own). */
    private static Value biased(Value y) {
        if (y.useCount() != 1 || y.isGraphOutput()) return y;
        Node u = y.uses().get(0).node();
        boolean bias = u.opType().equals("Add") && u.domainName().isEmpty()
                && u.inputs().stream().anyMatch(v -> v != y && v != null && v.initializer() != null);
        return bias ? u.output(0) : y;
    }

    /** Folds each update into its weight; returns how many shared weights were copied rather than changed. */
    private static int mergeAll(Model model, List<LoraUpdate> updates, PassResult result) {
        Map<Value, Value> merged = new IdentityHashMap<>();
        int copies = 0;
        for (LoraUpdate u : updates) {
            LoraSite s = u.site();
            Node product = s.product();
            Value w = product.input(1);
            Tensor t = w.initializer();
            if (t == null)
                throw new PassException("lora", s.id() + ": weight '" + w.name() + "' is not an initializer, so it "
                        + "cannot be merged into; use merge=false");
            Tensor next = Tensor.ofFloats(w.name(), t.dims(), u.merge(t.toFloats()));
            boolean shared = !merged.containsKey(w) && (w.useCount() > 1 || w.isGraphInput() || w.isGraphOutput());
            if (shared) {
                Value copy = model.graph().addInitializer(next.withName(FreshNames.of(model.graph()).fresh(s.id() + ".merged")));
                product.setInput(1, copy);
                merged.put(copy, copy);
                copies++;
                result.note("weight '" + w.name() + "' of " + s.id() + " is also read by " + (w.useCount() - 1)
                        + " other node(s)" + (w.isGraphInput() ? " and is a graph input" : "") + ": merged into a "
                        + "copy '" + copy.name() + "' for this projection; the other readers keep the original");
            } else {
                w.setInitializer(next);
                merged.put(w, w);
            }
        }
        return copies;
    }

    private static boolean isAttention(Role r) {
        return r == Role.Q || r == Role.K || r == Role.V || r == Role.O;
    }

    private static Block blockOf(Anatomy anatomy, Weight w) {
        return sublayer(anatomy, w).block();
    }

    private static Sublayer sublayer(Anatomy anatomy, Weight w) {
        return anatomy.sublayer(w.id().substring(0, w.id().lastIndexOf('.')));
    }

    private static SublayerPattern pattern(String t) {
        try {
            SublayerPattern p = SublayerPattern.parse(t);
            if (p.depth() != 3)
                throw new PassException("lora", "target '" + t + "' is not a weight: give a role (q, k, v, o, up, "
                        + "gate, down) or a weight id such as b0.attn.q or *.ffn.down");
            return p;
        } catch (IllegalArgumentException e) {
            throw new PassException("lora", e.getMessage());
        }
    }
}
