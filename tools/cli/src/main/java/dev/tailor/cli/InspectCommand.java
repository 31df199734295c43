package dev.tailor.cli;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Attention;
import dev.tailor.compiler.anatomy.Block;
import dev.tailor.compiler.anatomy.Embedding;
import dev.tailor.compiler.anatomy.Ffn;
import dev.tailor.compiler.anatomy.Head;
import dev.tailor.compiler.anatomy.Norm;
import dev.tailor.compiler.anatomy.Param;
import dev.tailor.compiler.anatomy.Stream;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.anatomy.Unplaced;
import dev.tailor.compiler.anatomy.Weight;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.MappedData;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tailor inspect MODEL [--json]}: opsets, inputs and outputs, parameters by element type, external data,
 * and the transformer anatomy as a block map (one line per block), with whatever anatomy could not place.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show a model's interface, parameters and transformer anatomy: residual streams, one line per "
                + "block (sublayers, heads, hidden sizes, norms, parameters), embeddings, heads, and what could not "
                + "be placed.",
                "Sublayer and weight ids (b3.attn, b3.ffn.down) are the names pipeline options use."},
        footer = {"", "Examples:",
                "  tailor inspect @minilm",
                "  tailor inspect model.onnx --json"})
final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "the model to inspect (.onnx, .onnxtxt, or @minilm)")
    String in;

    @Option(names = "--json", description = "print JSON (stdout then holds only the JSON document)")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ModelSource source = new ModelSource(in);
        Path path = source.path();
        Model model = source.read();
        Anatomy anatomy = Anatomy.of(model);
        Map<String, Object> doc = document(path, model, anatomy);
        PrintWriter out = spec.commandLine().getOut();
        if (json) out.print(dev.tailor.report.Json.write(doc));
        else out.print(text(path, model, anatomy, doc));
        out.flush();
        return ExitCodes.OK;
    }

    // ---- facts ----

    private static Map<String, Object> document(Path path, Model model, Anatomy anatomy) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", path.toString());
        m.put("bytes", Files.size(path));
        m.put("ir_version", model.irVersion());
        m.put("producer", join(model.producerName(), model.producerVersion()));
        doc.put("model", m);
        List<Object> opsets = new ArrayList<>();
        for (OpsetImport o : model.opsets()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("domain", o.domainName().isEmpty() ? "ai.onnx" : o.domainName());
            e.put("version", o.version());
            opsets.add(e);
        }
        doc.put("opsets", opsets);
        List<Object> inputs = new ArrayList<>();
        for (Value v : model.graph().inputs()) if (v.initializer() == null) inputs.add(io(v));
        doc.put("inputs", inputs);
        List<Object> outputs = new ArrayList<>();
        for (Value v : model.graph().outputs()) outputs.add(io(v));
        doc.put("outputs", outputs);

        Map<String, Long> byType = new TreeMap<>();
        long total = 0;
        long bytes = 0;
        int external = 0;
        long externalBytes = 0;
        Set<String> files = new LinkedHashSet<>();
        for (Value v : model.graph().initializers()) {
            Tensor t = v.initializer();
            String type = t.dataType() == null ? "type#" + t.rawDataType()
                    : t.dataType().name().toLowerCase(Locale.ROOT);
            byType.merge(type, t.elementCount(), Long::sum);
            total += t.elementCount();
            bytes += t.byteSize();
            if (t.data() instanceof MappedData d) {
                external++;
                externalBytes += d.byteSize();
                Path base = path.toAbsolutePath().getParent();
                files.add(base == null ? d.file().toString() : base.relativize(d.file().toAbsolutePath()).toString());
            }
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("total", total);
        params.put("tensors", model.graph().initializers().size());
        params.put("bytes", bytes);
        params.put("by_dtype", new LinkedHashMap<>(byType));
        doc.put("parameters", params);
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("tensors", external);
        ext.put("bytes", externalBytes);
        ext.put("files", new ArrayList<>(files));
        doc.put("external_data", ext);
        doc.put("anatomy", anatomy(anatomy));
        return doc;
    }

    private static Map<String, Object> io(Value v) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", v.name());
        if (v.type() instanceof Type.Tensor t) {
            e.put("dtype", t.elementType() == null ? null : t.elementType().name().toLowerCase(Locale.ROOT));
            e.put("shape", t.shape() == null ? null : dims(t.shape()));
        } else {
            e.put("type", v.type() == null ? null : v.type().toString());
        }
        return e;
    }

    private static List<Object> dims(Shape s) {
        List<Object> out = new ArrayList<>();
        for (Dim d : s.dims()) out.add(d.isKnown() ? (Object) d.value() : d.isSymbolic() ? d.param() : null);
        return out;
    }

    private static Map<String, Object> anatomy(Anatomy a) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Object> streams = new ArrayList<>();
        for (Stream s : a.streams()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", s.name());
            e.put("hidden", s.hiddenSize() < 0 ? null : s.hiddenSize());
            e.put("norm_placement", s.normPlacement());
            e.put("input", s.input() == null ? null : s.input().name());
            e.put("output", s.output() == null ? null : s.output().name());
            e.put("blocks", s.blocks().stream().map(Block::id).toList());
            List<Object> emb = new ArrayList<>();
            for (Embedding x : s.embeddings()) {
                Map<String, Object> em = new LinkedHashMap<>();
                em.put("kind", x.kind());
                em.put("tensor", x.table().name());
                em.put("shape", longs(x.table().storedShape()));
                em.put("indices", x.indices());
                if (x.bias() != null) em.put("bias", x.bias().name());
                emb.add(em);
            }
            e.put("embeddings", emb);
            e.put("embedding_norm", norm(s.embeddingNorm()));
            e.put("final_norm", norm(s.finalNorm()));
            List<Object> heads = new ArrayList<>();
            for (Head h : s.heads()) {
                Map<String, Object> hm = new LinkedHashMap<>();
                hm.put("kind", h.kind());
                hm.put("node", h.node().name());
                hm.put("tensor", h.weight().name());
                hm.put("shape", longs(h.weight().storedShape()));
                hm.put("bias", h.bias() == null ? null : h.bias().name());
                hm.put("out", h.out());
                hm.put("tied", h.tied());
                heads.add(hm);
            }
            e.put("heads", heads);
            streams.add(e);
        }
        out.put("streams", streams);
        List<Object> blocks = new ArrayList<>();
        for (Block b : a.blocks()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", b.id());
            e.put("stream", b.stream().name());
            e.put("parameters", b.parameterCount());
            List<Object> subs = new ArrayList<>();
            for (Sublayer s : b.sublayers()) subs.add(sublayer(s));
            e.put("sublayers", subs);
            blocks.add(e);
        }
        out.put("blocks", blocks);
        List<Object> unplaced = new ArrayList<>();
        for (Unplaced u : a.unplaced()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("node", u.node() == null ? null : u.node().name());
            e.put("op", u.node() == null ? null : op(u.node()));
            e.put("condition", u.condition());
            unplaced.add(e);
        }
        out.put("unplaced", unplaced);
        return out;
    }

    private static Map<String, Object> sublayer(Sublayer s) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("id", s.id());
        e.put("kind", s.kind().id());
        e.put("residual", s.residual().name());
        e.put("stream_in", s.streamIn().name());
        e.put("stream_out", s.streamOut() == null ? null : s.streamOut().name());
        e.put("branch_in", s.branchIn().name());
        e.put("branch_out", s.branchOut().name());
        e.put("norm", norm(s.norm()));
        Attention a = s.attention();
        if (a != null) {
            e.put("heads", a.heads());
            e.put("kv_heads", a.kvHeads());
            e.put("head_size", a.headSize());
            e.put("qkv", a.qkv());
            e.put("causal", a.causal());
            e.put("mask", a.mask());
            e.put("rotary", a.rotary());
            e.put("op", a.op());
            if (a.kvCache() != null) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("past_key", a.kvCache().pastKey());
                c.put("past_value", a.kvCache().pastValue());
                c.put("present_key", a.kvCache().presentKey());
                c.put("present_value", a.kvCache().presentValue());
                e.put("kv_cache", c);
            }
            if (a.kvSource() != null) e.put("kv_source", a.kvSource().name());
            if (a.positionBias() != null) e.put("position_bias", param(a.positionBias()));
        }
        Ffn f = s.ffn();
        if (f != null) {
            e.put("hidden", f.hidden());
            e.put("activation", f.activation());
            e.put("gated", f.gated());
            e.put("op", f.op());
        }
        List<Object> weights = new ArrayList<>();
        for (Weight w : s.weights().values()) {
            Map<String, Object> wm = new LinkedHashMap<>();
            wm.put("id", w.id());
            wm.put("role", w.role().id());
            wm.putAll(param(w.matrix()));
            wm.put("in", w.in());
            wm.put("out", w.out());
            wm.put("bias", w.bias() == null ? null : param(w.bias()));
            weights.add(wm);
        }
        e.put("weights", weights);
        e.put("parameters", s.parameterCount());
        e.put("nodes", s.nodes().size());
        return e;
    }

    private static Map<String, Object> param(Param p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tensor", p.name());
        m.put("shape", longs(p.shape()));
        if (p.isPart()) {
            m.put("stored_shape", longs(p.storedShape()));
            m.put("axis", p.featureAxis());
            m.put("columns", p.columns().toString());
        }
        return m;
    }

    private static Map<String, Object> norm(Norm n) {
        if (n == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", n.kind().id());
        m.put("placement", n.placement().id());
        m.put("op", n.op());
        m.put("epsilon", n.epsilon());
        m.put("gain", n.gain() == null ? null : n.gain().name());
        m.put("bias", n.bias() == null ? null : n.bias().name());
        m.put("nodes", n.nodes().size());
        return m;
    }

    private static List<Object> longs(long[] a) {
        List<Object> out = new ArrayList<>();
        for (long x : a) out.add(x);
        return out;
    }

    private static String op(Node n) {
        return (n.domainName().isEmpty() ? "" : n.domainName() + ".") + n.opType();
    }

    private static String join(String a, String b) {
        if (a == null || a.isEmpty()) return b;
        return b == null || b.isEmpty() ? a : a + " " + b;
    }

    // ---- text ----

    @SuppressWarnings("unchecked")
    private static String text(Path path, Model model, Anatomy a, Map<String, Object> doc) {
        StringBuilder b = new StringBuilder();
        Map<String, Object> m = (Map<String, Object>) doc.get("model");
        b.append(String.format(Locale.ROOT, "%-10s %s (%s), IR %s%s%n", "model", path.getFileName(),
                ByteSize.human((Long) m.get("bytes")), model.irVersion(),
                m.get("producer") == null ? "" : ", " + m.get("producer")));
        List<String> ops = new ArrayList<>();
        for (OpsetImport o : model.opsets()) ops.add((o.domainName().isEmpty() ? "ai.onnx" : o.domainName()) + " "
                + o.version());
        b.append(String.format(Locale.ROOT, "%-10s %s%n", "opsets", String.join(", ", ops)));
        List<String> ins = new ArrayList<>();
        for (Value v : model.graph().inputs()) if (v.initializer() == null) ins.add(typed(v));
        lines(b, "inputs", ins);
        List<String> outs = new ArrayList<>();
        for (Value v : model.graph().outputs()) outs.add(typed(v));
        lines(b, "outputs", outs);
        Map<String, Object> p = (Map<String, Object>) doc.get("parameters");
        List<String> types = new ArrayList<>();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) p.get("by_dtype")).entrySet())
            types.add(e.getKey() + " " + count((Long) e.getValue()));
        b.append(String.format(Locale.ROOT, "%-10s %s in %s tensors (%s), %s%n", "params", count((Long) p.get("total")),
                p.get("tensors"), String.join(", ", types), ByteSize.human((Long) p.get("bytes"))));
        Map<String, Object> x = (Map<String, Object>) doc.get("external_data");
        int ext = (Integer) x.get("tensors");
        b.append(String.format(Locale.ROOT, "%-10s %s%n", "external", ext == 0 ? "none"
                : ext + " tensors, " + ByteSize.human((Long) x.get("bytes")) + " in " + String.join(", ",
                        (List<String>) x.get("files"))));
        b.append('\n');
        for (Stream s : a.streams()) {
            b.append(s.name()).append(": ").append(s.blocks().size()).append(s.blocks().size() == 1 ? " block"
                    : " blocks");
            if (s.hiddenSize() > 0) b.append(", hidden ").append(s.hiddenSize());
            b.append(", ").append(s.normPlacement().equals("none") ? "no norms" : s.normPlacement() + "-norm");
            b.append('\n');
            List<String> emb = new ArrayList<>();
            for (Embedding e : s.embeddings())
                emb.add(e.kind() + " " + shape(e.table().storedShape()) + (e.indices() != null ? " (" + e.indices()
                        + ")" : ""));
            if (s.embeddingNorm() != null) emb.add("norm " + s.embeddingNorm().describe());
            if (!emb.isEmpty()) b.append("  embeddings  ").append(String.join(", ", emb)).append('\n');
            int width = 0;
            List<String> maps = new ArrayList<>();
            for (Block k : s.blocks()) {
                List<String> parts = new ArrayList<>();
                for (Sublayer sub : k.sublayers()) parts.add(sub.describe());
                String line = String.join(" ", parts);
                maps.add(line);
                width = Math.max(width, line.length());
            }
            int normWidth = 0;
            for (Block k : s.blocks()) normWidth = Math.max(normWidth, norms(k).length());
            for (int i = 0; i < s.blocks().size(); i++) {
                Block k = s.blocks().get(i);
                b.append(String.format(Locale.ROOT, "  %-4s %-" + width + "s  %-" + normWidth + "s %12s params%n",
                        k.id(), maps.get(i),
                        norms(k), count(k.parameterCount())));
            }
            if (s.finalNorm() != null) b.append("  final norm  ").append(s.finalNorm().describe()).append('\n');
            for (Head h : s.heads())
                b.append("  head        ").append(h.kind()).append(' ').append(shape(h.weight().storedShape()))
                        .append(Boolean.TRUE.equals(h.tied()) ? " (tied to the token embedding)" : "").append('\n');
        }
        if (a.streams().isEmpty()) b.append("anatomy: no transformer blocks\n");
        if (a.unplaced().isEmpty()) b.append("unplaced: none\n");
        else {
            b.append("unplaced:\n");
            for (Unplaced u : a.unplaced()) b.append("  ").append(u).append('\n');
        }
        return b.toString();
    }

    /** The norms of a block's sublayers: {@code post LayerNorm (unfused)}, or each when they differ. */
    private static String norms(Block k) {
        Set<String> seen = new LinkedHashSet<>();
        for (Sublayer s : k.sublayers()) seen.add(s.norm() == null ? "no norm" : s.norm().placement().id() + " "
                + s.norm().describe());
        return String.join(" / ", seen);
    }

    private static String typed(Value v) {
        if (v.type() instanceof Type.Tensor t) {
            String dt = t.elementType() == null ? "?" : t.elementType().name().toLowerCase(Locale.ROOT);
            if (t.elementType() == DataType.FLOAT) dt = "float";
            List<String> d = new ArrayList<>();
            if (t.shape() != null) for (Dim x : t.shape().dims()) d.add(x.isKnown() ? Long.toString(x.value())
                    : x.isSymbolic() ? x.param() : "?");
            return v.name() + ": " + dt + (t.shape() == null ? "" : "[" + String.join(", ", d) + "]");
        }
        return v.name() + ": " + v.type();
    }

    private static void lines(StringBuilder b, String label, List<String> items) {
        if (items.isEmpty()) b.append(String.format(Locale.ROOT, "%-10s none%n", label));
        for (int i = 0; i < items.size(); i++)
            b.append(String.format(Locale.ROOT, "%-10s %s%n", i == 0 ? label : "", items.get(i)));
    }

    private static String shape(long[] d) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < d.length; i++) s.append(i == 0 ? "" : "x").append(d[i]);
        return s.toString();
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
