package dev.tailor.passes.adapter;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.SublayerKind;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.pass.IntRange;
import dev.tailor.compiler.pass.Option;
import dev.tailor.compiler.pass.Pass;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassDef;
import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassResult;
import dev.tailor.compiler.safetensors.SafeTensors;
import dev.tailor.passes.graft.Graft;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Bottleneck adapters: {@code up(act(down(h)))}, a projection to {@code size} features and back, added to a
 * sublayer. Sequential kinds put it on the branch's output, {@code h + adapter(h)}, before the residual add:
 * Houlsby et al. (2019) after attention and after the FFN, Pfeiffer et al. (2020) after the FFN only. The
 * parallel kind (He et al., 2022) runs it beside the FFN, from the FFN's input, and adds {@code scaling} times its
 * output to the FFN's.
 *
 * <p>The up projection starts at zero, so the model computes exactly what it did; down is drawn like a linear
 * layer's default (uniform in ±1/sqrt(hidden)). Weights are named after their site, {@code b3.ffn.adapter.down}
 * ({@code [hidden, size]}, ONNX's {@code [in, out]} layout), {@code .down_bias}, {@code .up} ({@code [size, hidden]})
 * and {@code .up_bias}; {@code expose=true} makes them graph inputs as well, and {@code weights=FILE} loads trained
 * ones from a safetensors file by those names (biases may be left out: zero).
 */
@PassDef(name = "adapter", summary = "insert bottleneck adapters (Houlsby, Pfeiffer, parallel), zero-initialised or trained")
public final class Adapter implements Pass {

    /** Where the adapter goes. */
    public enum Kind {
        /** After attention and after the FFN, on the branch output. */
        HOULSBY,
        /** After the FFN only, on the branch output. */
        PFEIFFER,
        /** Beside the FFN: from its input, added to its output. */
        PARALLEL
    }

    @Option(doc = "houlsby (after attention and FFN), pfeiffer (after the FFN) or parallel (beside the FFN)")
    Kind kind = Kind.HOULSBY;

    @Option(doc = "bottleneck size as hidden/reduction", min = 1)
    int reduction = 16;

    @Option(doc = "bottleneck size in features (0: hidden/reduction; with weights, the file decides)", min = 0)
    int size = 0;

    @Option(doc = "activation between the projections")
    Activation activation = Activation.RELU;

    @Option(doc = "sublayers that get one: attn, xattn, ffn (empty: the kind's own)", element = String.class)
    List<String> sites = List.of();

    @Option(doc = "blocks that get adapters, by index (2..5)")
    IntRange blocks = IntRange.ALL;

    @Option(doc = "scale of a parallel adapter's output (He et al. use 4)", min = 0)
    double scaling = 1;

    @Option(doc = "trained weights: a safetensors file with the site-named tensors")
    String weights = "";

    @Option(doc = "make the adapter weights graph inputs too (their values stay as defaults), for training tools")
    boolean expose = false;

    @Option(doc = "seed for the down projections")
    long seed = 0;

    @Override
    public PassResult run(Model model, PassContext context) {
        Anatomy anatomy = Graft.anatomy(model, "adapter");
        List<SublayerKind> kinds = kinds();
        List<Sublayer> targets = new ArrayList<>();
        for (Sublayer s : anatomy.sublayers())
            if (kinds.contains(s.kind()) && blocks.contains(s.block().index())) targets.add(s);
        if (targets.isEmpty())
            throw new PassException("adapter", "no " + kinds + " sublayer in blocks " + blocks + " (the model has "
                    + anatomy.sublayers() + ")");
        AdapterWeights source = weights.isEmpty() ? null : AdapterWeights.of(read(Path.of(weights)));
        Graft graft = new Graft(model, "adapter", expose);
        Random random = new Random(seed);
        List<String> placed = new ArrayList<>();
        long bottleneck = -1;
        for (Sublayer s : targets) {
            long hidden = s.hiddenSize();
            if (hidden <= 0)
                throw new PassException("adapter", s.id() + ": the anatomy does not know its hidden size");
            long width = size > 0 ? size : Math.max(1, hidden / reduction);
            Bottleneck.Weights w = source != null ? source.take(s.id() + ".adapter", hidden, width)
                    : Bottleneck.Weights.initial(hidden, width, random);
            Bottleneck.insert(graft, s, kind == Kind.PARALLEL, activation, (float) scaling, w);
            placed.add(s.id());
            bottleneck = w.size();
        }
        PassResult r = PassResult.changed(true).metric("kind", kind.name().toLowerCase()).metric("sites", placed)
                .metric("size", bottleneck).metric("activation", activation.name().toLowerCase())
                .metric("parameters_added", graft.parameters()).metric("exposed", expose);
        if (source != null) {
            source.requireAllUsed();
            r.metric("weights", weights);
        }
        return r;
    }

    private List<SublayerKind> kinds() {
        List<String> names = !sites.isEmpty() ? sites : kind == Kind.HOULSBY ? List.of("attn", "ffn") : List.of("ffn");
        List<SublayerKind> out = new ArrayList<>();
        for (String n : names) {
            SublayerKind k = null;
            for (SublayerKind c : SublayerKind.values()) if (c.id().equals(n)) k = c;
            if (k == null)
                throw new PassException("adapter", "unknown site '" + n + "': expected attn, xattn or ffn");
            if (kind == Kind.PARALLEL && k != SublayerKind.FFN)
                throw new PassException("adapter", "a parallel adapter goes beside the FFN; site '" + n
                        + "' is not supported with kind=parallel");
            out.add(k);
        }
        return out;
    }

    private static SafeTensors read(Path file) {
        try {
            return SafeTensors.read(file);
        } catch (ModelFormatException e) {
            throw new PassException("adapter", e.getMessage(), e);
        }
    }

    /** Package access for the weights' reader. */
    static PassException error(SafeTensors file, String tensor, String problem) {
        return new PassException("adapter", file.file() + ": tensor '" + tensor + "' " + problem);
    }
}
