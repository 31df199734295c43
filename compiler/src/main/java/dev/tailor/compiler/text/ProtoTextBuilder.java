package dev.tailor.compiler.text;

import com.google.protobuf.ByteString;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.text.Annotation.Defaults;
import dev.tailor.compiler.text.Annotation.Storage;
import dev.tailor.grammar.OnnxTextParser.AttrValueContext;
import dev.tailor.grammar.OnnxTextParser.AttributeContext;
import dev.tailor.grammar.OnnxTextParser.AttributesContext;
import dev.tailor.grammar.OnnxTextParser.DeclarationContext;
import dev.tailor.grammar.OnnxTextParser.DimContext;
import dev.tailor.grammar.OnnxTextParser.FunctionAttrContext;
import dev.tailor.grammar.OnnxTextParser.FunctionContext;
import dev.tailor.grammar.OnnxTextParser.GraphContext;
import dev.tailor.grammar.OnnxTextParser.GraphValueContext;
import dev.tailor.grammar.OnnxTextParser.HeaderContext;
import dev.tailor.grammar.OnnxTextParser.HeaderEntryContext;
import dev.tailor.grammar.OnnxTextParser.IdListContext;
import dev.tailor.grammar.OnnxTextParser.ListValueContext;
import dev.tailor.grammar.OnnxTextParser.LiteralContext;
import dev.tailor.grammar.OnnxTextParser.LiteralValueContext;
import dev.tailor.grammar.OnnxTextParser.MapTypeContext;
import dev.tailor.grammar.OnnxTextParser.ModelContext;
import dev.tailor.grammar.OnnxTextParser.NodeContext;
import dev.tailor.grammar.OnnxTextParser.OneValueContext;
import dev.tailor.grammar.OnnxTextParser.OpaqueTypeContext;
import dev.tailor.grammar.OnnxTextParser.OptionalTypeContext;
import dev.tailor.grammar.OnnxTextParser.PairContext;
import dev.tailor.grammar.OnnxTextParser.PairListContext;
import dev.tailor.grammar.OnnxTextParser.QuotableIdContext;
import dev.tailor.grammar.OnnxTextParser.RefValueContext;
import dev.tailor.grammar.OnnxTextParser.SequenceTypeContext;
import dev.tailor.grammar.OnnxTextParser.ShapeContext;
import dev.tailor.grammar.OnnxTextParser.SingleValueContext;
import dev.tailor.grammar.OnnxTextParser.SparseTensorTypeContext;
import dev.tailor.grammar.OnnxTextParser.TensorDataContext;
import dev.tailor.grammar.OnnxTextParser.TensorTailContext;
import dev.tailor.grammar.OnnxTextParser.TensorTypeContext;
import dev.tailor.grammar.OnnxTextParser.TensorValueContext;
import dev.tailor.grammar.OnnxTextParser.TypeContext;
import dev.tailor.grammar.OnnxTextParser.TypeValueContext;
import dev.tailor.grammar.OnnxTextParser.ValueInfoContext;
import dev.tailor.grammar.OnnxTextLexer;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.antlr.v4.runtime.BufferedTokenStream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ParseTree;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Builds the ModelProto that a parsed text denotes. Without annotations, the result is what onnx's C++ parser
 * builds from the same text, field by field (a node's domain is set, "" when none is written; a tensor in an
 * attribute always has a name, "" when none is written; values go to the typed fields); the {@code #!}
 * annotations then add what the syntax cannot say (see {@link Annotation}).
 */
final class ProtoTextBuilder {
    /** Reads the data of a tensor that the text keeps in a side file, for `#!raw` and `#!typed`. */
    interface SideData {
        ByteBuffer read(String element, String location, String offset, String length, long expectedBytes);
    }

    private final Source src;
    private final BufferedTokenStream tokens;
    private final boolean annotations;
    private final SideData side;
    private final BitSet consumed = new BitSet();
    /** Positions of the built messages, by identity, for the name check. */
    final Map<Object, Object> positions = new IdentityHashMap<>();

    ProtoTextBuilder(Source src, BufferedTokenStream tokens, boolean annotations, SideData side) {
        this.src = src;
        this.tokens = tokens;
        this.annotations = annotations;
        this.side = side;
    }

    ModelProto model(ModelContext ctx) {
        ModelProto.Builder m = ModelProto.newBuilder();
        if (ctx.header() != null) modelHeader(ctx.header(), m);
        m.setGraph(graph(ctx.graph(), Defaults.ONNX));
        for (FunctionContext f : ctx.function()) m.addFunctions(function(f));
        Annotation a = before(ctx.EOF().getSymbol());
        a.allow(src, "the model", false, false);
        a.apply(m, src);
        if (annotations) checkAllConsumed();
        return m.build();
    }

    // ---------------------------------------------------------------- annotations

    private Annotation before(Token t) {
        if (!annotations) return Annotation.NONE;
        List<Token> hidden = tokens.getHiddenTokensToLeft(t.getTokenIndex(), Annotation.CHANNEL);
        if (hidden == null || hidden.isEmpty()) return Annotation.NONE;
        for (Token h : hidden) consumed.set(h.getTokenIndex());
        return Annotation.parse(hidden, src);
    }

    private void checkAllConsumed() {
        for (Token t : tokens.getTokens()) {
            if (t.getChannel() == Annotation.CHANNEL && !consumed.get(t.getTokenIndex()))
                throw src.error(t, "this annotation precedes nothing it can apply to; an annotation goes on the "
                        + "lines just before a graph, node, attribute, value, tensor or function (or at the end, "
                        + "for the model)");
        }
    }

    // ---------------------------------------------------------------- headers

    private void modelHeader(HeaderContext h, ModelProto.Builder m) {
        for (HeaderEntryContext e : h.headerEntry()) {
            String key = e.key.getText();
            switch (key) {
                case "ir_version" -> m.setIrVersion(longValue(e, key));
                case "opset_import" -> m.addAllOpsetImport(opsets(e, key));
                case "producer_name" -> m.setProducerName(stringValue(e, key));
                case "producer_version" -> m.setProducerVersion(stringValue(e, key));
                case "domain" -> m.setDomain(stringValue(e, key));
                case "model_version" -> m.setModelVersion(longValue(e, key));
                case "doc_string" -> m.setDocString(stringValue(e, key));
                case "metadata_props" -> {
                    for (PairContext p : pairs(e, key)) {
                        if (p.value.STRING() == null) throw src.error(p.value, "a metadata value is a string");
                        m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(Syntax.unquote(p.key.getText()))
                                .setValue(Syntax.unquote(p.value.getText())));
                    }
                }
                default -> throw src.error(e.key, "unknown model header key '" + key + "'; the keys are ir_version, "
                        + "opset_import, producer_name, producer_version, domain, model_version, doc_string, "
                        + "metadata_props");
            }
        }
    }

    private void functionHeader(HeaderContext h, FunctionProto.Builder f) {
        for (HeaderEntryContext e : h.headerEntry()) {
            String key = e.key.getText();
            switch (key) {
                case "domain" -> f.setDomain(stringValue(e, key));
                case "opset_import" -> f.addAllOpsetImport(opsets(e, key));
                case "doc_string" -> f.setDocString(stringValue(e, key));
                case "overload" -> f.setOverload(stringValue(e, key));
                default -> throw src.error(e.key, "unknown function header key '" + key + "'; the keys are domain, "
                        + "opset_import, doc_string, overload");
            }
        }
    }

    private List<OperatorSetIdProto> opsets(HeaderEntryContext e, String key) {
        List<OperatorSetIdProto> out = new ArrayList<>();
        for (PairContext p : pairs(e, key)) {
            if (p.value.INT() == null) throw src.error(p.value, "an opset version is an integer");
            out.add(OperatorSetIdProto.newBuilder().setDomain(Syntax.unquote(p.key.getText()))
                    .setVersion(parseLong(p.value.INT().getSymbol())).build());
        }
        return out;
    }

    private List<PairContext> pairs(HeaderEntryContext e, String key) {
        if (e.pairList() == null)
            throw src.error(e.literal(), key + " takes a list: [\"key\": value, ...]");
        return e.pairList().pair();
    }

    private long longValue(HeaderEntryContext e, String key) {
        if (e.literal() == null || e.literal().INT() == null)
            throw src.error(e.literal() != null ? e.literal() : e.pairList(), key + " takes an integer");
        return parseLong(e.literal().INT().getSymbol());
    }

    private String stringValue(HeaderEntryContext e, String key) {
        if (e.literal() == null || e.literal().STRING() == null)
            throw src.error(e.literal() != null ? e.literal() : e.pairList(), key + " takes a string");
        return Syntax.unquote(e.literal().getText());
    }

    // ---------------------------------------------------------------- graphs

    private GraphProto graph(GraphContext g, Defaults inherited) {
        Annotation a = before(g.getStart());
        a.allow(src, "a graph", false, true);
        Defaults defaults = a.defaults != null ? a.defaults : inherited;
        Storage storage = defaults.storage();
        GraphProto.Builder b = GraphProto.newBuilder().setName(name(g.name));
        for (DeclarationContext d : g.declaration()) {
            // An input, and an initializer when it has a default value: storage directives go to the tensor.
            Annotation da = before(d.getStart());
            da.allow(src, "a graph input", d.EQ() != null, false);
            Annotation viA = new Annotation();
            viA.unset.addAll(da.unset);
            viA.unsetTokens.addAll(da.unsetTokens);
            viA.merges.addAll(da.merges);
            viA.mergeTokens.addAll(da.mergeTokens);
            ValueInfoProto vi = valueInfo(d.valueInfo(), viA);
            b.addInput(vi);
            if (d.EQ() != null) {
                Annotation ta = new Annotation();
                ta.storage = da.storage;
                ta.storageToken = da.storageToken;
                b.addInitializer(declaredTensor(d, vi, ta, storage));
            }
        }
        for (ValueInfoContext v : g.valueInfoList().valueInfo()) b.addOutput(valueInfo(v, before(v.getStart())));
        if (g.declarations() != null) {
            for (DeclarationContext d : g.declarations().declaration()) {
                Annotation da = before(d.getStart());
                if (d.EQ() != null) {
                    ValueInfoProto vi = valueInfo(d.valueInfo(), Annotation.NONE);
                    b.addInitializer(declaredTensor(d, vi, da, storage));
                } else {
                    b.addValueInfo(valueInfo(d.valueInfo(), da));
                }
            }
        }
        for (NodeContext n : g.nodeList().node()) b.addNode(node(n, defaults));
        a.apply(b, src);
        GraphProto built = b.build();
        positions.put(built, g.name.getStart());
        return built;
    }

    private ValueInfoProto valueInfo(ValueInfoContext v, Annotation a) {
        a.allow(src, "a value", false, false);
        ValueInfoProto.Builder b = ValueInfoProto.newBuilder();
        if (v.type() != null) b.setType(type(v.type()));
        b.setName(name(v.name));
        a.apply(b, src);
        ValueInfoProto built = b.build();
        positions.put(built, v.name.getStart());
        return built;
    }

    /** An initializer: `type name = data`, its type giving the element type and dimensions. */
    private TensorProto declaredTensor(DeclarationContext d, ValueInfoProto vi, Annotation a, Storage storage) {
        a.allow(src, "an initializer", true, false);
        TensorProto.Builder t = TensorProto.newBuilder();
        t.setName(vi.getName());
        tensorType(t, vi.hasType() ? vi.getType() : null, d.valueInfo().type() != null ? d.valueInfo().type()
                : d.valueInfo());
        Storage s = a.storage != null ? a.storage : storage;
        tensorData(t, d.tensorData(), s, a.storage, a.storageToken, d.getStart());
        a.apply(t, src);
        checkCount(t, d.tensorData() != null ? d.tensorData() : d, "initializer '" + vi.getName() + "'");
        TensorProto built = t.build();
        positions.put(built, d.valueInfo().name.getStart());
        return built;
    }

    // ---------------------------------------------------------------- functions

    private FunctionProto function(FunctionContext f) {
        Annotation a = before(f.getStart());
        a.allow(src, "a function", false, true);
        Defaults defaults = a.defaults != null ? a.defaults : Defaults.ONNX;
        FunctionProto.Builder b = FunctionProto.newBuilder();
        if (f.header() != null) functionHeader(f.header(), b);
        b.setName(name(f.name));
        if (f.functionAttrs() != null) {
            for (FunctionAttrContext fa : f.functionAttrs().functionAttr()) {
                if (fa.attribute() != null) {
                    b.addAttributeProto(attribute(fa.attribute(), defaults));
                } else {
                    Annotation an = before(fa.getStart());
                    if (!an.isEmpty())
                        throw src.error(fa, "an attribute name without a default has nothing to annotate");
                    b.addAttribute(name(fa.quotableId()));
                }
            }
        }
        for (int side = 0; side < 2; side++) {
            for (ValueInfoContext v : f.params(side).valueInfo()) {
                String n = name(v.name);
                if (side == 0) b.addInput(n);
                else b.addOutput(n);
                Annotation va = before(v.getStart());
                if (v.type() != null) {
                    b.addValueInfo(valueInfo(v, va));
                } else if (!va.isEmpty()) {
                    throw src.error(v, "an untyped function " + (side == 0 ? "input" : "output")
                            + " has nothing to annotate; give it a type or annotate it in the value infos");
                }
            }
        }
        if (f.valueInfoBlock() != null)
            for (ValueInfoContext v : f.valueInfoBlock().valueInfo())
                b.addValueInfo(valueInfo(v, before(v.getStart())));
        for (NodeContext n : f.nodeList().node()) b.addNode(node(n, defaults));
        a.apply(b, src);
        FunctionProto built = b.build();
        List<Token> ins = new ArrayList<>();
        for (ValueInfoContext v : f.params(0).valueInfo()) ins.add(v.name.getStart());
        List<Token> outs = new ArrayList<>();
        for (ValueInfoContext v : f.params(1).valueInfo()) outs.add(v.name.getStart());
        positions.put(built, new NameCheck.FunctionPos(f.name.getStart(), ins, outs));
        return built;
    }

    // ---------------------------------------------------------------- nodes

    private NodeProto node(NodeContext n, Defaults defaults) {
        Annotation a = before(n.getStart());
        a.allow(src, "a node", false, false);
        NodeProto.Builder b = NodeProto.newBuilder();
        if (n.label() != null) b.setName(n.label().quotableId() == null ? "" : name(n.label().quotableId()));
        List<Token> outTokens = new ArrayList<>();
        for (String o : ids(n.outputs, outTokens)) b.addOutput(o);
        List<QuotableIdContext> parts = n.op.quotableId();
        StringBuilder domain = new StringBuilder();
        for (int i = 0; i < parts.size() - 1; i++) {
            if (i > 0) domain.append('.');
            domain.append(name(parts.get(i)));
        }
        b.setOpType(name(parts.get(parts.size() - 1)));
        if (parts.size() > 1 || !defaults.noDomain()) b.setDomain(domain.toString());
        if (n.overload != null) b.setOverload(n.overload.getText());
        AttributesContext attrs = n.attributes();
        if (attrs != null) for (AttributeContext ac : attrs.attribute()) b.addAttribute(attribute(ac, defaults));
        List<Token> inTokens = new ArrayList<>();
        for (String i : ids(n.inputs, inTokens)) b.addInput(i);
        a.apply(b, src);
        NodeProto built = b.build();
        positions.put(built, new NameCheck.NodePos(n.getStart(), inTokens, outTokens));
        return built;
    }

    /**
     * The names of an id list, as onnx reads them: an empty place between commas is an omitted value ("");
     * an empty place at the end is not a value ("x," is just x; `""` writes an omitted last value).
     */
    private List<String> ids(IdListContext ctx, List<Token> positions) {
        List<String> out = new ArrayList<>();
        boolean filled = false;
        for (ParseTree child : ctx.children == null ? List.<ParseTree>of() : ctx.children) {
            if (child instanceof TerminalNode t) { // a comma
                if (!filled) {
                    out.add("");
                    positions.add(t.getSymbol());
                }
                filled = false;
            } else {
                QuotableIdContext q = (QuotableIdContext) child;
                out.add(name(q));
                positions.add(q.getStart());
                filled = true;
            }
        }
        return out; // an empty last place (after a comma, or an empty list) is no value
    }

    // ---------------------------------------------------------------- attributes

    /** A value of an attribute before it is fitted to the attribute's type. */
    private record Value(Attribute.Kind kind, Object value, ParserRuleContext at) {}

    private AttributeProto attribute(AttributeContext ac, Defaults defaults) {
        Annotation a = before(ac.getStart());
        a.allow(src, "an attribute", true, false);
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name(ac.name));
        Attribute.Kind declared = null;
        if (ac.attrType != null) {
            declared = Syntax.attributeType(ac.attrType.getText());
            if (declared == null)
                throw src.error(ac.attrType, "unknown attribute type '" + ac.attrType.getText() + "'; the types are "
                        + Syntax.attributeTypeNames());
            b.setType(AttributeProto.AttributeType.forNumber(declared.code()));
        }
        Storage inline = a.storage != null ? a.storage : defaults.storage();
        AttrValueContext v = ac.attrValue();
        if (v instanceof OneValueContext one) {
            Value val = single(one.singleValue(), inline, a, defaults);
            if (val.kind == null) { // a reference
                b.setRefAttrName((String) val.value);
            } else {
                Attribute.Kind kind = val.kind;
                Object value = val.value;
                if (declared != null && declared != kind) {
                    if (declared == Attribute.Kind.FLOAT && kind == Attribute.Kind.INT) {
                        kind = Attribute.Kind.FLOAT;
                        value = (float) (long) (Long) value;
                    } else {
                        throw src.error(one, "attribute '" + b.getName() + "' is declared "
                                + Syntax.attributeTypeName(declared) + ", but its value is " + describe(kind));
                    }
                }
                b.setType(AttributeProto.AttributeType.forNumber(kind.code()));
                setSingle(b, kind, value);
            }
        } else {
            ListValueContext list = (ListValueContext) v;
            List<Value> values = new ArrayList<>();
            for (SingleValueContext s : list.singleValue()) {
                Value val = single(s, inline, a, defaults);
                if (val.kind == null) throw src.error(s, "a list cannot hold an attribute reference");
                values.add(val);
            }
            Attribute.Kind listKind;
            if (declared != null) {
                listKind = declared;
                if (isSingle(declared)) {
                    if (!values.isEmpty())
                        throw src.error(list, "attribute '" + b.getName() + "' is declared "
                                + Syntax.attributeTypeName(declared) + ", a single value; a list needs "
                                + Syntax.attributeTypeName(Attribute.Kind.fromCode(plural(declared))));
                    // `name: type = []` with a single-valued type: no value (Tailor's, for annotated values)
                }
            } else if (values.isEmpty()) {
                throw src.error(list, "an empty list needs its type: write " + b.getName() + ": ints = [] (or floats, "
                        + "strings, ...)");
            } else {
                listKind = Attribute.Kind.fromCode(plural(values.get(0).kind));
            }
            if (!isSingle(listKind)) {
                Attribute.Kind element = Attribute.Kind.fromCode(singular(listKind));
                for (Value val : values) {
                    Object x = val.value;
                    if (val.kind != element) {
                        if (element == Attribute.Kind.FLOAT && val.kind == Attribute.Kind.INT) {
                            x = (float) (long) (Long) val.value;
                        } else {
                            throw src.error(val.at, "a list of " + Syntax.attributeTypeName(listKind) + " cannot hold "
                                    + describe(val.kind));
                        }
                    }
                    addListElement(b, listKind, x);
                }
            }
            b.setType(AttributeProto.AttributeType.forNumber(listKind.code()));
        }
        a.apply(b, src);
        return b.build();
    }

    private static boolean isSingle(Attribute.Kind k) {
        return switch (k) {
            case FLOAT, INT, STRING, TENSOR, GRAPH, SPARSE_TENSOR, TYPE_PROTO, UNDEFINED -> true;
            default -> false;
        };
    }

    private static int plural(Attribute.Kind k) {
        return switch (k) {
            case FLOAT -> 6;
            case INT -> 7;
            case STRING -> 8;
            case TENSOR -> 9;
            case GRAPH -> 10;
            case SPARSE_TENSOR -> 12;
            case TYPE_PROTO -> 14;
            default -> k.code();
        };
    }

    private static int singular(Attribute.Kind k) {
        return switch (k) {
            case FLOATS -> 1;
            case INTS -> 2;
            case STRINGS -> 3;
            case TENSORS -> 4;
            case GRAPHS -> 5;
            case SPARSE_TENSORS -> 11;
            case TYPE_PROTOS -> 13;
            default -> k.code();
        };
    }

    private static String describe(Attribute.Kind k) {
        return switch (k) {
            case FLOAT -> "a float";
            case INT -> "an integer";
            case STRING -> "a string";
            case TENSOR -> "a tensor";
            case GRAPH -> "a graph";
            case TYPE_PROTO -> "a type";
            default -> Syntax.attributeTypeName(k);
        };
    }

    private static void setSingle(AttributeProto.Builder b, Attribute.Kind kind, Object v) {
        switch (kind) {
            case FLOAT -> b.setF((Float) v);
            case INT -> b.setI((Long) v);
            case STRING -> b.setS((ByteString) v);
            case TENSOR -> b.setT((TensorProto) v);
            case GRAPH -> b.setG((GraphProto) v);
            case TYPE_PROTO -> b.setTp((TypeProto) v);
            default -> throw new IllegalStateException(kind.toString());
        }
    }

    private static void addListElement(AttributeProto.Builder b, Attribute.Kind list, Object v) {
        switch (list) {
            case FLOATS -> b.addFloats((Float) v);
            case INTS -> b.addInts((Long) v);
            case STRINGS -> b.addStrings((ByteString) v);
            case TENSORS -> b.addTensors((TensorProto) v);
            case GRAPHS -> b.addGraphs((GraphProto) v);
            case TYPE_PROTOS -> b.addTypeProtos((TypeProto) v);
            default -> throw new IllegalStateException(list.toString());
        }
    }

    /** One attribute value; kind null for a reference `@name`. */
    private Value single(SingleValueContext s, Storage inline, Annotation attr, Defaults defaults) {
        if (s instanceof RefValueContext r) return new Value(null, name(r.quotableId()), s);
        if (s instanceof LiteralValueContext l) {
            LiteralContext lit = l.literal();
            if (lit.STRING() != null) return new Value(Attribute.Kind.STRING, ByteString.copyFromUtf8(
                    Syntax.unquote(lit.getText())), s);
            if (lit.INT() != null) return new Value(Attribute.Kind.INT, parseLong(lit.INT().getSymbol()), s);
            Float f = Numbers.parseFloat(lit.getText());
            if (f == null) throw src.error(lit, lit.getText() + " is out of the range of float");
            return new Value(Attribute.Kind.FLOAT, f, s);
        }
        if (s instanceof TypeValueContext t) return new Value(Attribute.Kind.TYPE_PROTO, type(t.type()), s);
        if (s instanceof GraphValueContext g) return new Value(Attribute.Kind.GRAPH, graph(g.graph(), defaults), s);
        TensorValueContext tv = (TensorValueContext) s;
        return new Value(Attribute.Kind.TENSOR, attributeTensor(tv, inline, attr, defaults), s);
    }

    /** A tensor constant in an attribute: `type name = data`; onnx sets its name ("" when none is written). */
    private TensorProto attributeTensor(TensorValueContext tv, Storage inline, Annotation attr, Defaults defaults) {
        Annotation a = before(tv.getStart());
        a.allow(src, "a tensor", true, false);
        TensorTailContext tail = tv.tensorTail();
        TensorProto.Builder t = TensorProto.newBuilder();
        if (tail.quotableId() != null) t.setName(name(tail.quotableId()));
        else if (!defaults.noTensorName()) t.setName("");
        TypeProto type = type(tv.type());
        tensorType(t, type, tv.type());
        Storage explicit = a.storage != null ? a.storage : attr.storage;
        Token explicitToken = a.storage != null ? a.storageToken : attr.storageToken;
        tensorData(t, tail.tensorData(), a.storage != null ? a.storage : inline, explicit, explicitToken, tv.getStart());
        a.apply(t, src);
        checkCount(t, tail.tensorData() != null ? tail.tensorData() : tv, "tensor" + (t.getName().isEmpty() ? ""
                : " '" + t.getName() + "'"));
        return t.build();
    }

    // ---------------------------------------------------------------- tensors

    /** Element type and dimensions of a tensor constant from its type, which must be a tensor of known shape. */
    private void tensorType(TensorProto.Builder t, TypeProto type, ParserRuleContext at) {
        if (type == null) throw src.error(at, "an initializer needs a tensor type, such as float[2, 3]");
        if (!type.hasTensorType()) throw src.error(at, "a tensor constant needs a tensor type, such as float[2, 3]");
        t.setDataType(type.getTensorType().getElemType());
        if (!type.getTensorType().hasShape())
            throw src.error(at, "a tensor constant needs its dimensions: write float[2, 3], or float for a scalar");
        for (TensorShapeProto.Dimension d : type.getTensorType().getShape().getDimList()) {
            if (!d.hasDimValue())
                throw src.error(at, "a tensor constant's dimensions are numbers, not "
                        + (d.hasDimParam() ? "'" + d.getDimParam() + "'" : "'?'"));
            t.addDims(d.getDimValue());
        }
    }

    /**
     * The data: values between braces go to the typed field, or to raw_data with {@code storage} RAW; an external
     * reference stays one unless {@code explicit} storage says the model holds the data (from the side file).
     */
    private void tensorData(TensorProto.Builder t, TensorDataContext data, Storage storage, Storage explicit,
                            Token explicitToken, Token start) {
        DataType type = DataType.fromCode(t.getDataType());
        String what = t.getName().isEmpty() ? "this tensor" : "tensor '" + t.getName() + "'";
        if (data == null) {
            if (explicit != null) throw src.error(explicitToken, what + " has no data to store as "
                    + explicit.name().toLowerCase());
            return;
        }
        if (type == DataType.STRING && storage == Storage.RAW) {
            if (explicit == null) storage = Storage.TYPED; // a default does not apply to strings
            else throw src.error(explicitToken, "a string tensor has no raw form");
        }
        long elements = 1;
        for (long d : t.getDimsList()) elements = Math.multiplyExact(elements, d);
        long entries = TensorValues.entries(type, elements);
        if (data.pairList() != null) {
            t.setDataLocation(TensorProto.DataLocation.EXTERNAL);
            String location = null;
            String offset = null;
            String length = null;
            for (PairContext p : data.pairList().pair()) {
                if (p.value.STRING() == null) throw src.error(p.value, "an external data value is a string");
                String k = Syntax.unquote(p.key.getText());
                String v = Syntax.unquote(p.value.getText());
                t.addExternalData(StringStringEntryProto.newBuilder().setKey(k).setValue(v));
                switch (k) {
                    case "location" -> location = v;
                    case "offset" -> offset = v;
                    case "length" -> length = v;
                    default -> { }
                }
            }
            if (explicit == null) return;
            if (type == DataType.STRING) throw src.error(explicitToken, "a string tensor has no raw form");
            if (side == null)
                throw src.error(data, what + " keeps its data in a file; read the text from its file, not from memory");
            ByteBuffer bytes = side.read("line " + data.getStart().getLine() + ", column "
                    + (data.getStart().getCharPositionInLine() + 1) + ": " + what, location, offset, length,
                    type.byteSize(elements));
            t.clearDataLocation().clearExternalData();
            if (explicit == Storage.RAW) t.setRawData(TensorValues.wrap(bytes));
            else TensorValues.rawToTyped(bytes, type, t);
            return;
        }
        DataScanner values = new DataScanner(src, data.TENSOR_DATA().getSymbol());
        TensorValues.Field field = TensorValues.field(type);
        if (storage == Storage.RAW) {
            int size = TensorValues.entryBytes(type);
            if (entries > (Integer.MAX_VALUE - 8) / size)
                throw src.error(data, what + " is too large to write inline; keep it in a side file");
            ByteBuffer raw = ByteBuffer.allocate((int) entries * size).order(ByteOrder.LITTLE_ENDIAN);
            long count = 0;
            while (values.next()) {
                if (count++ == entries)
                    throw values.error("more values than " + typeText(t) + " holds (" + entries + ")");
                switch (field) {
                    case FLOAT -> raw.putFloat(floatValue(values, type));
                    case DOUBLE -> raw.putDouble(doubleValue(values, type));
                    case INT64 -> raw.putLong(longValue(values, type));
                    case UINT64 -> {
                        long u = unsignedValue(values, type);
                        if (type == DataType.UINT32) {
                            if (Long.compareUnsigned(u, 0xffffffffL) > 0)
                                throw values.error(values.text() + " does not fit uint32");
                            raw.putInt((int) u);
                        } else {
                            raw.putLong(u);
                        }
                    }
                    case INT32 -> {
                        long v = longValue(values, type);
                        int bits = size * 8;
                        long min = size == 4 ? Integer.MIN_VALUE : -(1L << (bits - 1));
                        long max = size == 4 ? 0xffffffffL : (1L << bits) - 1;
                        if (v < min || v > max)
                            throw values.error(v + " does not fit the " + bits + " bits of a "
                                    + Syntax.elementTypeName(type.code()) + " value");
                        if (size == 4) raw.putInt((int) v);
                        else if (size == 2) raw.putShort((short) v);
                        else raw.put((byte) v);
                    }
                    case STRING -> throw new IllegalStateException();
                }
            }
            if (count < entries)
                throw values.errorAtEnd(count + " values for " + typeText(t) + ", which holds " + entries);
            raw.flip();
            t.setRawData(TensorValues.wrap(raw));
            return;
        }
        while (values.next()) {
            switch (field) {
                case FLOAT -> t.addFloatData(floatValue(values, type));
                case DOUBLE -> t.addDoubleData(doubleValue(values, type));
                case INT64 -> t.addInt64Data(longValue(values, type));
                case UINT64 -> t.addUint64Data(unsignedValue(values, type));
                case INT32 -> {
                    long v = longValue(values, type);
                    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)
                        throw values.error(v + " does not fit the 32-bit field that holds "
                                + Syntax.elementTypeName(type.code()) + " values");
                    t.addInt32Data((int) v);
                }
                case STRING -> {
                    if (values.kind != DataScanner.Kind.STRING)
                        throw values.error("expected a string for a string tensor, found " + values.text());
                    t.addStringData(ByteString.copyFromUtf8(values.string()));
                }
            }
        }
    }

    private static float floatValue(DataScanner v, DataType type) {
        if (v.kind == DataScanner.Kind.STRING) throw v.error("expected a number for " + name(type) + ", found a string");
        Float f = Numbers.parseFloat(v.s, v.start, v.end);
        if (f == null) throw v.error(v.text() + " is out of the range of float");
        return f;
    }

    private static double doubleValue(DataScanner v, DataType type) {
        if (v.kind == DataScanner.Kind.STRING) throw v.error("expected a number for " + name(type) + ", found a string");
        Double d = Numbers.parseDouble(v.s, v.start, v.end);
        if (d == null) throw v.error(v.text() + " is out of the range of double");
        return d;
    }

    private static long longValue(DataScanner v, DataType type) {
        if (v.kind != DataScanner.Kind.INT)
            throw v.error("expected an integer for " + name(type) + ", found " + v.text());
        if (v.end - v.start <= 18) { // fits a long: no string needed
            long x = 0;
            boolean neg = v.s.charAt(v.start) == '-';
            for (int i = neg ? v.start + 1 : v.start; i < v.end; i++) x = x * 10 + (v.s.charAt(i) - '0');
            return neg ? -x : x;
        }
        try {
            return Long.parseLong(v.text());
        } catch (NumberFormatException e) {
            throw v.error(v.text() + " is out of the range of int64");
        }
    }

    private static long unsignedValue(DataScanner v, DataType type) {
        if (v.kind != DataScanner.Kind.INT || v.text().startsWith("-"))
            throw v.error("expected an unsigned integer for " + name(type) + ", found " + v.text());
        try {
            return Long.parseUnsignedLong(v.text());
        } catch (NumberFormatException e) {
            throw v.error(v.text() + " is out of the range of uint64");
        }
    }

    /** Fails when the values do not fill the shape (the IR would refuse the tensor without a position). */
    private void checkCount(TensorProto.Builder t, ParserRuleContext at, String what) {
        DataType type = DataType.fromCode(t.getDataType());
        if (type == null || type == DataType.UNDEFINED || t.hasSegment()
                || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) return;
        long elements = 1;
        for (long d : t.getDimsList()) elements = Math.multiplyExact(elements, d);
        long needed = type == DataType.STRING ? elements : TensorValues.entries(type, elements);
        if (t.hasRawData() && type != DataType.STRING) {
            long bytes = type.byteSize(elements);
            if (t.getRawData().size() != bytes)
                throw src.error(at, what + " holds " + t.getRawData().size() + " bytes of raw data; " + typeText(t)
                        + " needs " + bytes);
            return;
        }
        long present = TensorValues.present(t.build(), type);
        if (present != needed) {
            Token end = at.getStop() != null ? at.getStop() : at.getStart();
            Token point = at instanceof TensorDataContext d && d.TENSOR_DATA() != null ? end : at.getStart();
            throw (at instanceof TensorDataContext d && d.TENSOR_DATA() != null)
                    ? src.error(point, point.getText().length() - 1, present + " values for " + typeText(t)
                            + ", which holds " + needed)
                    : src.error(point, what + " has " + (present == 0 ? "no values" : present + " values") + "; "
                            + typeText(t) + " needs " + needed);
        }
    }

    private static String typeText(TensorProto.Builder t) {
        StringBuilder s = new StringBuilder(String.valueOf(Syntax.elementTypeName(t.getDataType())));
        if (t.getDimsCount() > 0) {
            s.append('[');
            for (int i = 0; i < t.getDimsCount(); i++) s.append(i > 0 ? "," : "").append(t.getDims(i));
            s.append(']');
        }
        return s.toString();
    }

    // ---------------------------------------------------------------- types

    private TypeProto type(TypeContext t) {
        TypeProto.Builder b = TypeProto.newBuilder();
        if (t instanceof TensorTypeContext tt) {
            TypeProto.Tensor.Builder tb = TypeProto.Tensor.newBuilder().setElemType(elementType(tt.elem).code());
            shape(tt.shape(), tb::setShape);
            b.setTensorType(tb);
        } else if (t instanceof SparseTensorTypeContext st) {
            TypeProto.SparseTensor.Builder tb = TypeProto.SparseTensor.newBuilder()
                    .setElemType(elementType(st.elem).code());
            shape(st.shape(), tb::setShape);
            b.setSparseTensorType(tb);
        } else if (t instanceof SequenceTypeContext s) {
            b.setSequenceType(TypeProto.Sequence.newBuilder().setElemType(type(s.type())));
        } else if (t instanceof OptionalTypeContext o) {
            b.setOptionalType(TypeProto.Optional.newBuilder().setElemType(type(o.type())));
        } else if (t instanceof MapTypeContext m) {
            b.setMapType(TypeProto.Map.newBuilder().setKeyType(elementType(m.key).code()).setValueType(type(m.type())));
        } else {
            OpaqueTypeContext o = (OpaqueTypeContext) t;
            TypeProto.Opaque.Builder ob = TypeProto.Opaque.newBuilder();
            if (o.qualifiedName() != null) {
                if (o.identifier() != null) {
                    ob.setDomain(o.qualifiedName().getText());
                    ob.setName(o.identifier().getText());
                } else {
                    ob.setName(o.qualifiedName().getText());
                }
            }
            b.setOpaqueType(ob);
        }
        return b.build();
    }

    private DataType elementType(Token name) {
        DataType d = Syntax.elementType(name.getText());
        if (d == null)
            throw src.error(name, "unknown element type '" + name.getText() + "'; the types are "
                    + Syntax.elementTypeNames());
        return d;
    }

    /** No brackets: a scalar (a shape without dimensions); `[]`: unknown rank (no shape). */
    private void shape(ShapeContext s, java.util.function.Consumer<TensorShapeProto> set) {
        if (s == null) {
            set.accept(TensorShapeProto.getDefaultInstance());
            return;
        }
        if (s.dim().isEmpty()) return;
        TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
        for (DimContext d : s.dim()) {
            TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
            if (d.INT() != null) {
                long v = parseLong(d.INT().getSymbol());
                if (v < 0) throw src.error(d, "a dimension cannot be negative");
                db.setDimValue(v);
            } else if (d.quotableId() != null) {
                db.setDimParam(name(d.quotableId()));
            }
            b.addDim(db);
        }
        set.accept(b.build());
    }

    // ---------------------------------------------------------------- names and numbers

    /** "a float tensor", "an int64 tensor". */
    private static String name(DataType t) {
        String n = Syntax.elementTypeName(t.code());
        return ("aeiou".indexOf(n.charAt(0)) >= 0 ? "an " : "a ") + n + " tensor";
    }

    private static String name(QuotableIdContext q) {
        if (q.STRING() != null) return Syntax.unquote(q.STRING().getText());
        return q.getText();
    }

    private long parseLong(Token t) {
        try {
            return Long.parseLong(t.getText());
        } catch (NumberFormatException e) {
            throw src.error(t, t.getText() + " is out of the range of int64");
        }
    }

    static boolean isNameToken(int type) {
        return type == OnnxTextLexer.ID || type == OnnxTextLexer.SEQ || type == OnnxTextLexer.MAP
                || type == OnnxTextLexer.OPTIONAL || type == OnnxTextLexer.SPARSE_TENSOR
                || type == OnnxTextLexer.OPAQUE || type == OnnxTextLexer.INF_NAN;
    }
}
