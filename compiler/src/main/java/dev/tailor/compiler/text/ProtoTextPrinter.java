package dev.tailor.compiler.text;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.text.Annotation.Defaults;
import dev.tailor.compiler.text.Annotation.Storage;
import dev.tailor.onnx.proto.OnnxProto.AttributeProto;
import dev.tailor.onnx.proto.OnnxProto.FunctionProto;
import dev.tailor.onnx.proto.OnnxProto.GraphProto;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.NodeProto;
import dev.tailor.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.tailor.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import dev.tailor.onnx.proto.OnnxProto.TensorShapeProto;
import dev.tailor.onnx.proto.OnnxProto.TypeProto;
import dev.tailor.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Prints a ModelProto in the ONNX text syntax so that {@link ProtoTextBuilder} reads it back equal field by field.
 * Each element is written in the syntax as far as the syntax reaches; whatever it does not reach goes into the
 * element's {@code #!} annotation (see {@link Annotation}): the fields the syntax would set but the element lacks
 * ({@code #!unset}), the storage of tensor values ({@code #!raw}), and every field the printer did not write
 * ({@code #!} text format, or {@code #!proto} when text format cannot be exact). The printer clears each field
 * from a copy of the element as it writes it, so whatever it does not know how to write survives in the annotation.
 *
 * <p>It also records the {@link Construct}s it used beyond onnx 1.12's syntax.
 */
final class ProtoTextPrinter {
    /** Where tensors left out of the text go. */
    interface SideFile {
        record Region(String location, long offset, long length) {}

        Region write(ByteBuffer bytes) throws IOException;
    }

    /** An Appendable that turns I/O errors into unchecked ones, so that printing code stays plain. */
    private static final class Sink {
        private final Appendable out;

        Sink(Appendable out) {
            this.out = out;
        }

        Sink append(CharSequence s) {
            try {
                out.append(s);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Sink append(char c) {
            try {
                out.append(c);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }
    }

    private static final int WIDTH = 100;
    private static final String STEP = "  ";

    private final Long maxInlineBytes;
    private final SideFile side;
    final Set<Construct> used = EnumSet.noneOf(Construct.class);
    int annotationLines;
    int outOfLineTensors;

    /** @param maxInlineBytes tensors of more bytes go to {@code side}; null keeps every tensor in the text */
    ProtoTextPrinter(Long maxInlineBytes, SideFile side) {
        this.maxInlineBytes = maxInlineBytes;
        this.side = side;
    }

    // ---------------------------------------------------------------- notes (annotations) of one element

    private final class Notes {
        Defaults defaults;
        Storage storage;
        final List<String> unset = new ArrayList<>();
        Message.Builder residual;

        String render(String indent) {
            List<String> lines = new ArrayList<>();
            if (defaults != null) {
                List<String> items = new ArrayList<>();
                if (defaults.storage() == Storage.RAW) items.add("raw");
                if (defaults.noDomain()) items.add("no-domain");
                if (defaults.noTensorName()) items.add("no-tensor-name");
                if (items.isEmpty()) items.add("typed");
                lines.add("default " + String.join(", ", items));
            }
            if (storage != null) lines.add(storage.name().toLowerCase(Locale.ROOT));
            if (!unset.isEmpty()) lines.add("unset " + String.join(", ", unset));
            if (residual != null) {
                Message m = residual.build();
                if (!m.getUnknownFields().asMap().isEmpty() && !m.getAllFields().isEmpty()) {
                    // Known fields as text where possible; the fields of unknown numbers as protobuf.
                    lines.add(residual(m.toBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet
                            .getDefaultInstance()).build()));
                    lines.add("proto " + Base64.getEncoder().encodeToString(m.getUnknownFields().toByteArray()));
                } else if (!m.getAllFields().isEmpty() || !m.getUnknownFields().asMap().isEmpty()) {
                    lines.add(residual(m));
                }
            }
            StringBuilder s = new StringBuilder();
            for (String l : lines) s.append("#!").append(l).append('\n').append(indent);
            annotationLines += lines.size();
            return s.toString();
        }
    }

    /** The fields as one line of text format if that reads back exactly, else as base64 protobuf. */
    private static String residual(Message m) {
        String text = TextFormat.printer().escapingNonAscii(false).emittingSingleLine(true)
                .usingShortRepeatedPrimitives(true).printToString(m).strip();
        if (!text.contains("\n") && !text.isEmpty()) {
            try {
                Message.Builder back = m.newBuilderForType();
                TextFormat.getParser().merge(text, back);
                if (back.build().toByteString().equals(m.toByteString())) return " " + text;
            } catch (TextFormat.ParseException e) {
                // fall through to binary
            }
        }
        return "proto " + Base64.getEncoder().encodeToString(m.toByteArray());
    }

    // ---------------------------------------------------------------- model

    void model(ModelProto m, Appendable out) {
        try {
            ModelProto.Builder r = m.toBuilder();
            Notes notes = new Notes();
            List<String> entries = new ArrayList<>();
            if (m.hasIrVersion()) {
                entries.add("ir_version: " + m.getIrVersion());
                r.clearIrVersion();
            }
            String opsets = opsets(m.getOpsetImportList(), notes, "opset_import");
            if (opsets != null) {
                entries.add("opset_import: " + opsets);
                r.clearOpsetImport();
            }
            if (m.hasProducerName() && string(m.getProducerNameBytes()) != null) {
                entries.add("producer_name: " + string(m.getProducerNameBytes()));
                r.clearProducerName();
            }
            if (m.hasProducerVersion() && string(m.getProducerVersionBytes()) != null) {
                entries.add("producer_version: " + string(m.getProducerVersionBytes()));
                r.clearProducerVersion();
            }
            if (m.hasDomain() && string(m.getDomainBytes()) != null) {
                entries.add("domain: " + string(m.getDomainBytes()));
                r.clearDomain();
            }
            if (m.hasModelVersion()) {
                entries.add("model_version: " + m.getModelVersion());
                r.clearModelVersion();
            }
            if (m.hasDocString() && string(m.getDocStringBytes()) != null) {
                entries.add("doc_string: " + string(m.getDocStringBytes()));
                r.clearDocString();
            }
            String meta = pairs(m.getMetadataPropsList(), notes, "metadata_props");
            if (meta != null) {
                entries.add("metadata_props: " + meta);
                r.clearMetadataProps();
            }
            if (!entries.isEmpty())
                out.append("<\n").append(STEP).append(String.join(",\n" + STEP, entries)).append("\n>\n");
            if (m.hasGraph()) {
                graph(m.getGraph(), "", Defaults.ONNX, false, new Sink(out));
                r.clearGraph();
            } else {
                out.append("_ () => () {\n}");
                notes.unset.add("graph");
            }
            out.append('\n');
            for (FunctionProto f : m.getFunctionsList()) out.append('\n').append(function(f)).append('\n');
            r.clearFunctions();
            notes.residual = r;
            String end = notes.render("");
            if (!end.isEmpty()) out.append('\n').append(end);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * `[ "domain" : version, ... ]`; an unset domain or version is written "" or 0 and unset by the annotation.
     * Null when empty or a domain cannot be written (the annotation then keeps the whole list).
     */
    private String opsets(List<OperatorSetIdProto> list, Notes notes, String field) {
        if (list.isEmpty()) return null;
        List<String> items = new ArrayList<>();
        List<String> unset = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            OperatorSetIdProto o = list.get(i);
            String d = o.hasDomain() ? string(o.getDomainBytes()) : "\"\"";
            if (d == null || !o.getUnknownFields().asMap().isEmpty()) return null;
            if (!o.hasDomain()) unset.add(field + "[" + i + "].domain");
            if (!o.hasVersion()) unset.add(field + "[" + i + "].version");
            items.add(d + " : " + o.getVersion());
        }
        notes.unset.addAll(unset);
        return "[" + String.join(", ", items) + "]";
    }

    private String pairs(List<StringStringEntryProto> list, Notes notes, String field) {
        if (list.isEmpty()) return null;
        List<String> items = new ArrayList<>();
        List<String> unset = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            StringStringEntryProto e = list.get(i);
            String k = e.hasKey() ? string(e.getKeyBytes()) : "\"\"";
            String v = e.hasValue() ? string(e.getValueBytes()) : "\"\"";
            if (k == null || v == null || !e.getUnknownFields().asMap().isEmpty()) return null;
            if (!e.hasKey()) unset.add(field + "[" + i + "].key");
            if (!e.hasValue()) unset.add(field + "[" + i + "].value");
            items.add(k + ": " + v);
        }
        notes.unset.addAll(unset);
        return "[" + String.join(", ", items) + "]";
    }

    // ---------------------------------------------------------------- graphs

    private String graph(GraphProto g, String indent, Defaults inherited, boolean inAttribute) {
        StringBuilder s = new StringBuilder();
        graph(g, indent, inherited, inAttribute, new Sink(s));
        return s.toString();
    }

    /**
     * Writes a graph to {@code out} as it goes, so that a model with large tensors in the text is never held whole.
     *
     * @param inAttribute whether the graph is an attribute value, where onnx reads a name that is a type or a
     *                    special float as such
     */
    private void graph(GraphProto g, String indent, Defaults inherited, boolean inAttribute, Sink out) {
        GraphProto.Builder r = g.toBuilder().clearInput().clearOutput().clearInitializer().clearValueInfo()
                .clearNode();
        Notes notes = new Notes();
        Defaults defaults = chooseDefaults(g.getInitializerList(), g.getNodeList(), inherited);
        if (!defaults.equals(inherited)) notes.defaults = defaults;
        Storage storage = defaults.storage();
        String name;
        String n = g.hasName() ? string(g.getNameBytes(), false) : null;
        if (n != null) {
            if (inAttribute && (!Syntax.isIdentifier(n) || Syntax.isTypeWord(n) || Syntax.isFloatWord(n))) {
                used.add(Construct.TAILOR_ONLY);
                name = Syntax.quote(n);
            } else {
                name = quotable(n, false);
            }
            r.clearName();
        } else {
            name = "_";
            if (!g.hasName()) notes.unset.add("name");
        }
        String inner = indent + STEP;
        List<String> inputs = new ArrayList<>();
        for (ValueInfoProto v : g.getInputList()) inputs.add(valueInfo(v, inner));
        List<String> outputs = new ArrayList<>();
        for (ValueInfoProto v : g.getOutputList()) outputs.add(valueInfo(v, inner));
        notes.residual = r;
        out.append(notes.render(indent));
        String ins = list("(", inputs, ")", indent);
        String outs = list("(", outputs, ")", indent);
        if (indent.length() + name.length() + ins.length() + outs.length() + 8 > WIDTH && ins.indexOf('\n') < 0)
            ins = list("(", inputs, ")", indent, true);
        out.append(name).append(' ').append(ins).append(" => ").append(outs);
        int declarations = g.getInitializerCount() + g.getValueInfoCount();
        if (declarations > 0) {
            out.append('\n').append(indent).append("<\n");
            int k = 0;
            for (TensorProto t : g.getInitializerList()) {
                out.append(inner);
                initializer(t, inner, storage, out);
                out.append(++k < declarations ? ",\n" : "\n");
            }
            for (ValueInfoProto v : g.getValueInfoList())
                out.append(inner).append(valueInfo(v, inner)).append(++k < declarations ? ",\n" : "\n");
            out.append(indent).append(">\n").append(indent).append("{\n");
        } else {
            out.append(" {\n");
        }
        for (NodeProto node : g.getNodeList()) out.append(inner).append(node(node, inner, defaults)).append('\n');
        out.append(indent).append('}');
    }

    /** `(a, b)` on one line when short, else one item per line. */
    private static String list(String open, List<String> items, String close, String indent) {
        return list(open, items, close, indent, false);
    }

    private static String list(String open, List<String> items, String close, String indent, boolean split) {
        if (items.isEmpty()) return open + close;
        int length = 0;
        boolean multiline = false;
        for (String i : items) {
            length += i.length() + 2;
            multiline |= i.indexOf('\n') >= 0;
        }
        if (!split && !multiline && length + indent.length() < WIDTH) return open + String.join(", ", items) + close;
        StringBuilder s = new StringBuilder(open).append('\n');
        for (int i = 0; i < items.size(); i++)
            s.append(indent).append(STEP).append(items.get(i)).append(i + 1 < items.size() ? ",\n" : "\n");
        return s.append(indent).append(close).toString();
    }

    /**
     * The defaults that need the fewest annotations in a graph or function body: the storage most of its tensors
     * use, and whether most of its nodes have no domain and most tensor constants in attributes no name.
     */
    private Defaults chooseDefaults(List<TensorProto> initializers, List<NodeProto> nodes, Defaults inherited) {
        int raw = 0;
        int typed = 0;
        int noDomain = 0;
        int emptyDomain = 0;
        int noName = 0;
        int emptyName = 0;
        List<TensorProto> all = new ArrayList<>(initializers);
        for (NodeProto n : nodes) {
            if (!n.hasDomain()) noDomain++;
            else if (n.getDomain().isEmpty()) emptyDomain++;
            for (AttributeProto a : n.getAttributeList()) {
                List<TensorProto> ts = new ArrayList<>(a.getTensorsList());
                if (a.hasT()) ts.add(a.getT());
                for (TensorProto t : ts) {
                    if (!t.hasName()) noName++;
                    else if (t.getName().isEmpty()) emptyName++;
                }
                all.addAll(ts);
            }
        }
        for (TensorProto t : all) {
            TensorPlan p = plan(t);
            if (p.leftOut || p.storage == null) continue;
            if (p.storage == Storage.RAW) raw++;
            else typed++;
        }
        return new Defaults(raw == typed ? inherited.storage() : raw > typed ? Storage.RAW : Storage.TYPED,
                noDomain == emptyDomain ? inherited.noDomain() : noDomain > emptyDomain,
                noName == emptyName ? inherited.noTensorName() : noName > emptyName);
    }

    // ---------------------------------------------------------------- value infos and types

    private String valueInfo(ValueInfoProto v, String indent) {
        ValueInfoProto.Builder r = v.toBuilder();
        Notes notes = new Notes();
        String type = v.hasType() ? type(v.getType(), true) : null;
        if (type != null) r.clearType();
        String name;
        String n = v.hasName() ? string(v.getNameBytes(), false) : null;
        if (n != null) {
            name = quotable(n, true);
            r.clearName();
        } else {
            name = "\"\"";
            used.add(Construct.QUOTED_NAME);
            if (!v.hasName()) notes.unset.add("name");
        }
        notes.residual = r;
        return notes.render(indent) + (type == null ? "" : type + " ") + name;
    }

    /**
     * A type in the syntax, or null when the syntax cannot say it exactly (denotations, opaque types with names
     * that are not identifiers, unset fields).
     */
    private String type(TypeProto t, boolean valueInfo) {
        if (t.hasDenotation()) return null;
        switch (t.getValueCase()) {
            case TENSOR_TYPE -> {
                TypeProto.Tensor x = t.getTensorType();
                return x.hasElemType() ? tensorType(x.getElemType(), x.hasShape() ? x.getShape() : null) : null;
            }
            case SPARSE_TENSOR_TYPE -> {
                TypeProto.SparseTensor x = t.getSparseTensorType();
                String inner = x.hasElemType() ? tensorType(x.getElemType(), x.hasShape() ? x.getShape() : null) : null;
                if (inner == null) return null;
                used.add(Construct.COMPOUND_TYPE);
                return "sparse_tensor(" + inner + ")";
            }
            case SEQUENCE_TYPE -> {
                String inner = t.getSequenceType().hasElemType() ? type(t.getSequenceType().getElemType(), false) : null;
                if (inner == null) return null;
                used.add(Construct.COMPOUND_TYPE);
                return "seq(" + inner + ")";
            }
            case OPTIONAL_TYPE -> {
                String inner = t.getOptionalType().hasElemType() ? type(t.getOptionalType().getElemType(), false) : null;
                if (inner == null) return null;
                used.add(Construct.COMPOUND_TYPE);
                return "optional(" + inner + ")";
            }
            case MAP_TYPE -> {
                TypeProto.Map x = t.getMapType();
                String key = x.hasKeyType() ? Syntax.elementTypeName(x.getKeyType()) : null;
                String value = x.hasValueType() ? type(x.getValueType(), false) : null;
                if (key == null || value == null) return null;
                elementTypeUsed(x.getKeyType());
                used.add(Construct.COMPOUND_TYPE);
                return "map(" + key + ", " + value + ")";
            }
            case OPAQUE_TYPE -> {
                TypeProto.Opaque x = t.getOpaqueType();
                String d = x.hasDomain() ? string(x.getDomainBytes(), false) : null;
                String n = x.hasName() ? string(x.getNameBytes(), false) : null;
                used.add(Construct.COMPOUND_TYPE);
                if (!x.hasDomain() && !x.hasName()) return "opaque()";
                if (!x.hasDomain() && qualified(n)) return "opaque(" + n + ")";
                if (x.hasDomain() && x.hasName() && qualified(d) && Syntax.isIdentifier(n))
                    return "opaque(" + d + ", " + n + ")";
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    private static boolean qualified(String s) {
        if (s == null || s.isEmpty()) return false;
        for (String part : s.split("\\.", -1)) if (!Syntax.isIdentifier(part)) return false;
        return true;
    }

    private String tensorType(int elem, TensorShapeProto shape) {
        String name = Syntax.elementTypeName(elem);
        if (name == null) return null;
        StringBuilder s = new StringBuilder(name);
        if (shape == null) return elementTypeUsed(elem, s.append("[]").toString());
        if (shape.getDimCount() == 0) return elementTypeUsed(elem, s.toString());
        s.append('[');
        for (int i = 0; i < shape.getDimCount(); i++) {
            TensorShapeProto.Dimension d = shape.getDim(i);
            if (d.hasDenotation()) return null;
            if (i > 0) s.append(',');
            if (d.hasDimValue()) {
                s.append(d.getDimValue());
            } else if (d.hasDimParam()) {
                String p = string(d.getDimParamBytes(), false);
                if (p == null) return null;
                s.append(quotable(p, false));
            } else {
                s.append('?');
            }
        }
        return elementTypeUsed(elem, s.append(']').toString());
    }

    private String elementTypeUsed(int elem, String text) {
        elementTypeUsed(elem);
        return text;
    }

    private void elementTypeUsed(int elem) {
        if (elem > DataType.BFLOAT16.code()) used.add(Construct.ELEMENT_TYPE);
    }

    // ---------------------------------------------------------------- nodes

    private String node(NodeProto n, String indent, Defaults defaults) {
        NodeProto.Builder r = n.toBuilder();
        Notes notes = new Notes();
        StringBuilder s = new StringBuilder();
        if (n.hasName()) {
            String label = string(n.getNameBytes(), false);
            if (label != null) {
                used.add(Construct.NODE_LABEL);
                s.append('[').append(label.isEmpty() ? "" : quotable(label, false)).append("] ");
                r.clearName();
            }
        }
        s.append(ids(n.getOutputList(), n.getOutputCount()));
        r.clearOutput();
        s.append(n.getOutputCount() > 0 ? " = " : "= ");
        if (n.hasDomain()) {
            String d = string(n.getDomainBytes(), false);
            if (d != null && !d.isEmpty()) {
                if (qualified(d)) {
                    s.append(d).append('.');
                } else {
                    used.add(Construct.TAILOR_ONLY);
                    s.append(Syntax.quote(d)).append('.');
                }
                r.clearDomain();
            } else if (d != null && !defaults.noDomain()) {
                r.clearDomain(); // the syntax sets "" (with no-domain, the annotation does)
            }
        } else if (!defaults.noDomain()) {
            notes.unset.add("domain");
        }
        String op = n.hasOpType() ? string(n.getOpTypeBytes(), false) : null;
        if (op != null && Syntax.isIdentifier(op)) {
            s.append(op);
            r.clearOpType();
        } else {
            used.add(Construct.TAILOR_ONLY);
            s.append(Syntax.quote(op != null ? op : ""));
            if (op != null) r.clearOpType();
            else if (!n.hasOpType()) notes.unset.add("op_type");
        }
        if (n.hasOverload()) {
            String o = string(n.getOverloadBytes(), false);
            if (o != null && Syntax.isIdentifier(o)) {
                used.add(Construct.OVERLOAD);
                s.append(':').append(o);
                r.clearOverload();
            }
        }
        if (n.getAttributeCount() > 0) {
            String inner = indent + STEP;
            List<String> attrs = new ArrayList<>();
            for (AttributeProto a : n.getAttributeList()) attrs.add(attribute(a, inner, defaults, false));
            s.append(' ').append(list("<", attrs, ">", indent));
            r.clearAttribute();
        }
        s.append(" (").append(ids(n.getInputList(), n.getInputCount())).append(')');
        r.clearInput();
        notes.residual = r;
        return notes.render(indent) + s;
    }

    /**
     * Names as onnx reads an id list: an omitted value in the middle is an empty place; at either end it must be
     * written `""` (onnx reads a leading empty place as an empty list and ignores a trailing one).
     */
    private String ids(List<String> names, int count) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String n = names.get(i);
            if (n.isEmpty()) {
                if (i == 0 || i == count - 1) {
                    used.add(Construct.EDGE_EMPTY_NAME);
                    out.add("\"\"");
                } else {
                    out.add("");
                }
            } else {
                out.add(quotable(n, false));
            }
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < out.size(); i++) {
            if (i > 0) s.append(out.get(i).isEmpty() ? "," : ", ");
            s.append(out.get(i));
        }
        return s.toString();
    }

    // ---------------------------------------------------------------- attributes

    /** What a tensor-valued attribute writes: the storage of each of its tensors. */
    private String attribute(AttributeProto a, String indent, Defaults defaults, boolean functionDefault) {
        Storage storage = defaults.storage();
        AttributeProto.Builder r = a.toBuilder();
        Notes notes = new Notes();
        String name;
        String n = a.hasName() ? string(a.getNameBytes(), false) : null;
        if (n != null) {
            if (Syntax.isIdentifier(n)) {
                name = n;
            } else {
                used.add(functionDefault ? Construct.QUOTED_NAME : Construct.TAILOR_ONLY);
                name = Syntax.quote(n);
            }
            r.clearName();
        } else {
            name = "_";
            if (!a.hasName()) notes.unset.add("name");
        }
        Attribute.Kind kind = a.hasType() ? Attribute.Kind.fromCode(a.getType().getNumber()) : inferKind(a);
        boolean typed = a.hasType() && kind != null && kind != Attribute.Kind.UNDEFINED;
        String value = null;
        // Storage of the attribute's tensors: on the attribute when they agree, else on each tensor.
        List<TensorProto> tensors = new ArrayList<>();
        if (a.hasT() && kind == Attribute.Kind.TENSOR) tensors.add(a.getT());
        if (kind == Attribute.Kind.TENSORS) tensors.addAll(a.getTensorsList());
        Storage common = null;
        boolean agree = true;
        boolean explicit = false;
        for (TensorProto t : tensors) {
            TensorPlan p = plan(t);
            Storage st = p.storage == null ? Storage.TYPED : p.storage;
            explicit |= p.leftOut || st != storage;
            if (common == null) common = st;
            else agree &= common == st;
        }
        Storage tensorStorage = storage; // what the tensors' own notes compare against
        if (!tensors.isEmpty() && agree && explicit) {
            notes.storage = common;
            tensorStorage = null; // covered by the attribute: no note on the tensor
        }
        String inner = indent + STEP;
        if (a.hasRefAttrName() && (kind != null || !a.hasType())) {
            String ref = string(a.getRefAttrNameBytes(), false);
            if (ref != null) {
                value = "@" + quotable(ref, false);
                r.clearRefAttrName();
            }
        } else if (kind != null && (typed || !a.hasType())) {
            value = switch (kind) {
                case FLOAT -> a.hasF() && Numbers.printable(a.getF()) ? clearing(r::clearF, floatText(a.getF())) : null;
                case INT -> a.hasI() ? clearing(r::clearI, Long.toString(a.getI())) : null;
                case STRING -> {
                    String s = a.hasS() ? string(a.getS(), true) : null;
                    yield s != null ? clearing(r::clearS, s) : null;
                }
                case TENSOR -> a.hasT() ? clearing(r::clearT, tensorValue(a.getT(), indent, tensorStorage,
                        notes.storage != null ? notes.storage : storage, defaults)) : null;
                case GRAPH -> a.hasG() ? clearing(r::clearG, graph(a.getG(), indent, defaults, true)) : null;
                case TYPE_PROTO -> {
                    String t = a.hasTp() ? type(a.getTp(), false) : null;
                    if (t != null) used.add(Construct.TYPE_ATTRIBUTE);
                    yield t != null ? clearing(r::clearTp, t) : null;
                }
                case FLOATS -> {
                    List<String> items = new ArrayList<>();
                    for (float f : a.getFloatsList()) {
                        if (!Numbers.printable(f)) {
                            items = null;
                            break;
                        }
                        items.add(floatText(f));
                    }
                    yield items == null ? null : clearing(r::clearFloats, elements(items));
                }
                case INTS -> {
                    List<String> items = new ArrayList<>();
                    for (long i : a.getIntsList()) items.add(Long.toString(i));
                    yield clearing(r::clearInts, elements(items));
                }
                case STRINGS -> {
                    List<String> items = new ArrayList<>();
                    for (ByteString b : a.getStringsList()) {
                        String s = string(b, true);
                        if (s == null) {
                            items = null;
                            break;
                        }
                        items.add(s);
                    }
                    yield items == null ? null : clearing(r::clearStrings, elements(items));
                }
                case TENSORS -> {
                    List<String> items = new ArrayList<>();
                    for (TensorProto t : a.getTensorsList())
                        items.add(tensorValue(t, inner, tensorStorage,
                                notes.storage != null ? notes.storage : storage, defaults));
                    used.add(a.getTensorsCount() > 0 ? Construct.TAILOR_ONLY : Construct.EMPTY_LIST);
                    yield clearing(r::clearTensors, list("[", items, "]", indent));
                }
                case GRAPHS -> {
                    List<String> items = new ArrayList<>();
                    for (GraphProto g : a.getGraphsList()) items.add(graph(g, inner, defaults, true));
                    used.add(a.getGraphsCount() > 0 ? Construct.TAILOR_ONLY : Construct.EMPTY_LIST);
                    yield clearing(r::clearGraphs, list("[", items, "]", indent));
                }
                case TYPE_PROTOS -> {
                    List<String> items = new ArrayList<>();
                    for (TypeProto t : a.getTypeProtosList()) {
                        String s = type(t, false);
                        if (s == null) {
                            items = null;
                            break;
                        }
                        items.add(s);
                    }
                    if (items != null) used.add(items.isEmpty() ? Construct.EMPTY_LIST : Construct.TAILOR_ONLY);
                    yield items == null ? null : clearing(r::clearTypeProtos, "[" + String.join(", ", items) + "]");
                }
                default -> null;
            };
            if (value != null && !typed && value.equals("[]")) value = null; // no type to infer from
        }
        String typeText = null;
        if (value == null) {
            // A skeleton: the type (or ints) with no value; the annotation supplies the rest.
            Attribute.Kind shown = typed ? kind : Attribute.Kind.INTS;
            typeText = Syntax.attributeTypeName(shown);
            value = "[]";
            used.add(isSingle(shown) ? Construct.TAILOR_ONLY : Construct.EMPTY_LIST);
            if (typed) r.clearType();
            else if (!a.hasType()) notes.unset.add("type");
        } else if (typed) {
            typeText = Syntax.attributeTypeName(kind);
            r.clearType();
        } else if (!a.hasType() && !a.hasRefAttrName()) {
            notes.unset.add("type"); // the syntax infers a type from the value; the element has none
        }
        notes.residual = r;
        String head = notes.render(indent) + name + (typeText != null ? ": " + typeText : "") + " =";
        if (value.startsWith("#!")) return head + "\n" + indent + value;
        return head + " " + value;
    }

    private static String clearing(Runnable clear, String text) {
        clear.run();
        return text;
    }

    private String elements(List<String> items) {
        if (items.isEmpty()) {
            used.add(Construct.EMPTY_LIST);
            return "[]";
        }
        return "[" + String.join(", ", items) + "]";
    }

    private static boolean isSingle(Attribute.Kind k) {
        return switch (k) {
            case FLOAT, INT, STRING, TENSOR, GRAPH, SPARSE_TENSOR, TYPE_PROTO, UNDEFINED -> true;
            default -> false;
        };
    }

    /** Files from before attribute types were recorded: the kind is the field that is set (as the IR infers it). */
    private static Attribute.Kind inferKind(AttributeProto a) {
        if (a.hasF()) return Attribute.Kind.FLOAT;
        if (a.hasI()) return Attribute.Kind.INT;
        if (a.hasS()) return Attribute.Kind.STRING;
        if (a.hasT()) return Attribute.Kind.TENSOR;
        if (a.hasG()) return Attribute.Kind.GRAPH;
        if (a.hasSparseTensor()) return Attribute.Kind.SPARSE_TENSOR;
        if (a.hasTp()) return Attribute.Kind.TYPE_PROTO;
        if (a.getFloatsCount() > 0) return Attribute.Kind.FLOATS;
        if (a.getIntsCount() > 0) return Attribute.Kind.INTS;
        if (a.getStringsCount() > 0) return Attribute.Kind.STRINGS;
        if (a.getTensorsCount() > 0) return Attribute.Kind.TENSORS;
        if (a.getGraphsCount() > 0) return Attribute.Kind.GRAPHS;
        if (a.getSparseTensorsCount() > 0) return Attribute.Kind.SPARSE_TENSORS;
        if (a.getTypeProtosCount() > 0) return Attribute.Kind.TYPE_PROTOS;
        return null;
    }

    private String floatText(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f)) used.add(Construct.SPECIAL_FLOAT);
        else if (Numbers.subnormal(f)) used.add(Construct.SUBNORMAL);
        return Numbers.formatFloat(f);
    }

    // ---------------------------------------------------------------- functions

    private String function(FunctionProto f) {
        FunctionProto.Builder r = f.toBuilder();
        Notes notes = new Notes();
        Defaults defaults = chooseDefaults(List.of(), f.getNodeList(), Defaults.ONNX);
        if (!defaults.equals(Defaults.ONNX)) notes.defaults = defaults;
        List<String> entries = new ArrayList<>();
        if (f.hasDomain() && string(f.getDomainBytes()) != null) {
            entries.add("domain: " + string(f.getDomainBytes()));
            r.clearDomain();
        }
        String opsets = opsets(f.getOpsetImportList(), notes, "opset_import");
        if (opsets != null) {
            entries.add("opset_import: " + opsets);
            r.clearOpsetImport();
        }
        if (f.hasDocString() && string(f.getDocStringBytes()) != null) {
            entries.add("doc_string: " + string(f.getDocStringBytes()));
            r.clearDocString();
        }
        if (f.hasOverload() && string(f.getOverloadBytes()) != null) {
            used.add(Construct.OVERLOAD);
            entries.add("overload: " + string(f.getOverloadBytes()));
            r.clearOverload();
        }
        StringBuilder s = new StringBuilder();
        if (!entries.isEmpty()) s.append("<\n").append(STEP).append(String.join(",\n" + STEP, entries)).append("\n>\n");
        String n = f.hasName() ? string(f.getNameBytes(), false) : null;
        if (n != null) {
            s.append(quotable(n, false));
            r.clearName();
        } else {
            s.append('_');
            if (!f.hasName()) notes.unset.add("name");
        }
        List<String> attrs = new ArrayList<>();
        for (String a : f.getAttributeList()) attrs.add(quotable(a, false));
        r.clearAttribute();
        for (AttributeProto a : f.getAttributeProtoList()) {
            used.add(Construct.FUNCTION_ATTRIBUTE_DEFAULT);
            attrs.add(attribute(a, STEP, defaults, true));
        }
        r.clearAttributeProto();
        if (!attrs.isEmpty()) s.append(' ').append(list("<", attrs, ">", ""));
        List<String> ins = new ArrayList<>();
        for (String i : f.getInputList()) ins.add(quotable(i, true));
        r.clearInput();
        List<String> outs = new ArrayList<>();
        for (String o : f.getOutputList()) outs.add(quotable(o, true));
        r.clearOutput();
        s.append(' ').append(list("(", ins, ")", "")).append(" => ").append(list("(", outs, ")", ""));
        if (f.getValueInfoCount() > 0) {
            used.add(Construct.FUNCTION_VALUE_INFO);
            s.append("\n<\n");
            for (int i = 0; i < f.getValueInfoCount(); i++)
                s.append(STEP).append(valueInfo(f.getValueInfo(i), STEP))
                        .append(i + 1 < f.getValueInfoCount() ? ",\n" : "\n");
            s.append(">\n{\n");
            r.clearValueInfo();
        } else {
            s.append(" {\n");
        }
        for (NodeProto node : f.getNodeList()) s.append(STEP).append(node(node, STEP, defaults)).append('\n');
        r.clearNode();
        s.append('}');
        notes.residual = r;
        return notes.render("") + s;
    }

    // ---------------------------------------------------------------- tensors

    /** How a tensor is written: its values in the syntax (typed or raw storage), in the side file, or neither. */
    private record TensorPlan(DataType type, Storage storage, boolean leftOut, boolean values) {}

    private final java.util.Map<TensorProto, TensorPlan> plans = new java.util.IdentityHashMap<>();

    private TensorPlan plan(TensorProto t) {
        return plans.computeIfAbsent(t, this::makePlan);
    }

    private TensorPlan makePlan(TensorProto t) {
        DataType type = t.hasDataType() ? DataType.fromCode(t.getDataType()) : null;
        if (type == null || type == DataType.UNDEFINED || Syntax.elementTypeName(type.code()) == null)
            return new TensorPlan(type, null, false, false);
        if (t.hasSegment() || t.hasDataLocation() || t.getExternalDataCount() > 0)
            return new TensorPlan(type, null, false, false);
        long elements;
        try {
            elements = dev.tailor.compiler.ir.Tensor.elementCount(t.getDimsList().stream().mapToLong(Long::longValue)
                    .toArray());
        } catch (RuntimeException e) {
            return new TensorPlan(type, null, false, false);
        }
        TensorValues.Field field = TensorValues.field(type);
        long entries = type == DataType.STRING ? elements : TensorValues.entries(type, elements);
        boolean raw = t.hasRawData();
        if (raw) {
            if (type == DataType.STRING || TensorValues.hasDataBesides(t, null, true)
                    || t.getRawData().size() != type.byteSize(elements))
                return new TensorPlan(type, null, false, false);
        } else {
            if (TensorValues.hasDataBesides(t, field, false) || TensorValues.present(t, type) != entries)
                return new TensorPlan(type, null, false, false);
        }
        Storage storage = raw ? Storage.RAW : Storage.TYPED;
        if (!printable(t, type, raw)) return new TensorPlan(type, null, false, false);
        boolean out = maxInlineBytes != null && side != null && type != DataType.STRING && elements > 0
                && type.byteSize(elements) > maxInlineBytes;
        return new TensorPlan(type, storage, out, true);
    }

    /** Whether every value can be written exactly (NaNs with a payload and strings that are not text cannot). */
    private static boolean printable(TensorProto t, DataType type, boolean raw) {
        TensorValues.Field f = TensorValues.field(type);
        if (raw) {
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
            if (f == TensorValues.Field.FLOAT) {
                for (int i = 0; i + 4 <= b.limit(); i += 4) if (!Numbers.printable(b.getFloat(i))) return false;
            } else if (f == TensorValues.Field.DOUBLE) {
                for (int i = 0; i + 8 <= b.limit(); i += 8) if (!Numbers.printable(b.getDouble(i))) return false;
            }
            return true;
        }
        switch (f) {
            case FLOAT -> {
                for (int i = 0; i < t.getFloatDataCount(); i++) if (!Numbers.printable(t.getFloatData(i))) return false;
            }
            case DOUBLE -> {
                for (int i = 0; i < t.getDoubleDataCount(); i++) if (!Numbers.printable(t.getDoubleData(i))) return false;
            }
            case STRING -> {
                for (int i = 0; i < t.getStringDataCount(); i++)
                    if (Syntax.printableUtf8(t.getStringData(i)) == null) return false;
            }
            default -> { }
        }
        return true;
    }

    /**
     * Writes values `{...}`, an external reference, or `{}` when the annotation carries the data. The caller has
     * cleared the data fields from the residual when {@code p.values}.
     */
    private void tensorData(TensorProto t, TensorPlan p, String indent, Sink out) {
        if (!p.values) {
            out.append("{}");
            return;
        }
        if (p.leftOut) {
            ByteBuffer bytes = p.storage == Storage.RAW ? t.getRawData().asReadOnlyByteBuffer()
                    : TensorValues.typedToRaw(t, p.type);
            SideFile.Region region;
            try {
                region = side.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the side file: " + e.getMessage(), e);
            }
            outOfLineTensors++;
            used.add(Construct.EXTERNAL_DATA);
            out.append("[\"location\": ").append(Syntax.quote(region.location())).append(", \"offset\": \"")
                    .append(Long.toString(region.offset())).append("\", \"length\": \"")
                    .append(Long.toString(region.length())).append("\"]");
            return;
        }
        Values values = new Values(indent, out);
        if (p.storage == Storage.RAW)
            TensorValues.printRaw(t.getRawData().asReadOnlyByteBuffer(), p.type, values, used);
        else
            TensorValues.printTyped(t, p.type, values, used);
        if (values.count > 0 && (p.type == DataType.FLOAT16 || p.type == DataType.BFLOAT16
                || p.type == DataType.COMPLEX64 || p.type == DataType.COMPLEX128))
            used.add(Construct.TENSOR_VALUES);
        values.finish();
    }

    private static void clearData(TensorProto.Builder r) {
        r.clearRawData().clearFloatData().clearDoubleData().clearInt32Data().clearInt64Data().clearUint64Data()
                .clearStringData();
    }

    /**
     * Writes values as `{a, b, c}` when they fit a line, else broken into lines of about WIDTH characters: the
     * first few are held to decide, the rest go straight to the output.
     */
    private static final class Values implements TensorValues.EntryPrinter {
        private static final int HELD = 24;
        private final String indent;
        private final Sink out;
        private List<String> held = new ArrayList<>();
        private int heldLength;
        private int col;
        private int written;
        int count;

        Values(String indent, Sink out) {
            this.indent = indent;
            this.out = out;
        }

        @Override
        public void entry(String v) {
            count++;
            if (held == null) {
                write(v);
                return;
            }
            held.add(v);
            heldLength += v.length() + 2;
            if (held.size() > HELD || heldLength + indent.length() + 2 >= WIDTH) {
                out.append("{\n").append(indent).append(STEP);
                col = indent.length() + STEP.length();
                List<String> h = held;
                held = null;
                for (String x : h) write(x);
            }
        }

        private void write(String v) {
            if (written++ > 0) {
                if (col + v.length() + 2 > WIDTH) {
                    out.append(",\n").append(indent).append(STEP);
                    col = indent.length() + STEP.length();
                } else {
                    out.append(", ");
                    col += 2;
                }
            }
            out.append(v);
            col += v.length();
        }

        void finish() {
            if (held != null) out.append("{").append(String.join(", ", held)).append("}");
            else out.append('\n').append(indent).append('}');
        }
    }

    /** Writes `type name = data` in a graph's declarations; {@code storage} is the graph's default. */
    private void initializer(TensorProto t, String indent, Storage storage, Sink out) {
        TensorProto.Builder r = t.toBuilder();
        Notes notes = new Notes();
        TensorPlan p = plan(t);
        String type = tensorTypeText(t, p, r, notes);
        String name;
        String n = t.hasName() ? string(t.getNameBytes(), false) : null;
        if (n != null) {
            name = quotable(n, true);
            r.clearName();
        } else {
            name = "\"\"";
            used.add(Construct.QUOTED_NAME);
            if (!t.hasName()) notes.unset.add("name");
        }
        if (p.values) clearData(r);
        Storage st = p.storage == null ? Storage.TYPED : p.storage;
        if (p.leftOut || st != storage) notes.storage = st;
        notes.residual = r;
        out.append(notes.render(indent)).append(type).append(' ').append(name).append(" = ");
        tensorData(t, p, indent, out);
    }

    /**
     * A tensor attribute value: `type name data`. {@code storage} is what this tensor's storage is compared to
     * (null when the attribute states it); {@code effective} what applies to it.
     */
    private String tensorValue(TensorProto t, String indent, Storage storage, Storage effective, Defaults defaults) {
        TensorProto.Builder r = t.toBuilder();
        Notes notes = new Notes();
        TensorPlan p = plan(t);
        String type = tensorTypeText(t, p, r, notes);
        String name = "";
        if (t.hasName()) {
            String n = string(t.getNameBytes(), false);
            if (n != null && !n.isEmpty()) {
                if (!Syntax.isIdentifier(n)) used.add(Construct.TAILOR_ONLY);
                name = " " + (Syntax.isIdentifier(n) ? n : Syntax.quote(n));
                r.clearName();
            } else if (n != null && !defaults.noTensorName()) {
                r.clearName(); // the syntax sets "" (with no-tensor-name, the annotation does)
            }
        } else if (!defaults.noTensorName()) {
            notes.unset.add("name");
        }
        if (p.values) clearData(r);
        StringBuilder data = new StringBuilder();
        tensorData(t, p, indent, new Sink(data));
        Storage st = p.storage == null ? Storage.TYPED : p.storage;
        if (storage != null && (p.leftOut || st != storage)) notes.storage = st;
        else if (storage == null && st != effective) notes.storage = st;
        notes.residual = r;
        String sep = data.charAt(0) == '[' ? " = " : " ";
        return notes.render(indent) + type + name + sep + data;
    }

    /** The element type and dimensions; a placeholder type when the element type has no name. */
    private String tensorTypeText(TensorProto t, TensorPlan p, TensorProto.Builder r, Notes notes) {
        String name = t.hasDataType() ? Syntax.elementTypeName(t.getDataType()) : null;
        if (name == null) {
            name = "float"; // the annotation sets or unsets data_type
            if (!t.hasDataType()) notes.unset.add("data_type");
        } else {
            elementTypeUsed(t.getDataType());
            r.clearDataType();
        }
        StringBuilder s = new StringBuilder(name);
        if (t.getDimsCount() > 0) {
            s.append('[');
            for (int i = 0; i < t.getDimsCount(); i++) s.append(i > 0 ? "," : "").append(t.getDims(i));
            s.append(']');
        }
        r.clearDims();
        return s.toString();
    }

    // ---------------------------------------------------------------- names and strings

    /**
     * A name as an identifier, or quoted when it is not one; in a value info, also when onnx would read it as a
     * type.
     */
    private String quotable(String name, boolean valueInfo) {
        if (Syntax.isIdentifier(name) && !(valueInfo && Syntax.isTypeWord(name))) return name;
        used.add(Construct.QUOTED_NAME);
        return Syntax.quote(name);
    }

    /** A string literal for a proto string field, or null when it cannot be written exactly. */
    private String string(ByteString bytes) {
        return string(bytes, true);
    }

    /** The text of a field; quoted as a literal when {@code literal}; null when not UTF-8 or holding NUL. */
    private String string(ByteString bytes, boolean literal) {
        String s = Syntax.printableUtf8(bytes);
        if (s == null || !literal) return s;
        if (Syntax.needsEscape(s)) used.add(Construct.STRING_ESCAPE);
        return Syntax.quote(s);
    }
}
