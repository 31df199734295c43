package dev.tailor.compiler.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.MessageOrBuilder;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Function;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Metadata;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.OpsetImport;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.SparseTensor;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.TensorData;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.onnx.proto.OnnxProto.AttributeProto;
import dev.tailor.onnx.proto.OnnxProto.FunctionProto;
import dev.tailor.onnx.proto.OnnxProto.GraphProto;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.NodeProto;
import dev.tailor.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.tailor.onnx.proto.OnnxProto.SparseTensorProto;
import dev.tailor.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import dev.tailor.onnx.proto.OnnxProto.TensorShapeProto;
import dev.tailor.onnx.proto.OnnxProto.TypeProto;
import dev.tailor.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the IR from parsed protobuf messages. Each IR element keeps, as its origin, its message with the
 * fields the IR models cleared, so that {@link ProtoExporter} can restore everything else. Structural problems
 * (undefined values, duplicate definitions, cycles, sizes that do not add up) raise {@link ModelFormatException}.
 */
final class ProtoImporter {
    private final Path file;
    private final ExternalDataResolver external;

    ProtoImporter(Path file, Path folder) {
        this.file = file;
        this.external = new ExternalDataResolver(file, folder);
    }

    Model importModel(ModelProto p) {
        checkWireTypes(p, "model");
        if (!p.hasGraph() && !p.hasIrVersion() && p.getFunctionsCount() == 0)
            throw new ModelFormatException(file, null, "not an ONNX model: it has no ir_version, graph or functions");
        Model m = new Model(null);
        if (p.hasIrVersion()) m.setIrVersion(p.getIrVersion());
        for (OperatorSetIdProto o : p.getOpsetImportList()) m.opsets().add(opset(o));
        if (p.hasProducerName()) m.setProducerName(p.getProducerName());
        if (p.hasProducerVersion()) m.setProducerVersion(p.getProducerVersion());
        if (p.hasDomain()) m.setDomain(p.getDomain());
        if (p.hasModelVersion()) m.setModelVersion(p.getModelVersion());
        if (p.hasDocString()) m.setDocString(p.getDocString());
        readMetadata(p.getMetadataPropsList(), m.metadata());
        for (FunctionProto f : p.getFunctionsList()) m.functions().add(importFunction(f));
        if (p.hasGraph()) m.setGraph(importGraph(p.getGraph(), null, null));
        m.setOrigin(p.toBuilder().clearIrVersion().clearOpsetImport().clearProducerName().clearProducerVersion()
                .clearDomain().clearModelVersion().clearDocString().clearGraph().clearMetadataProps()
                .clearFunctions().build());
        return m;
    }

    private OpsetImport opset(OperatorSetIdProto o) {
        checkWireTypes(o, "opset import");
        return new OpsetImport(o.hasDomain() ? o.getDomain() : null, o.hasVersion() ? o.getVersion() : null);
    }

    // ---- graphs ----

    /** Names visible in one graph, with a link to the enclosing graph's scope. */
    private static final class Scope {
        final Scope parent;
        final Node ownerInParent;
        final Map<String, Value> names = new HashMap<>();
        /** Values of enclosing graphs used inside each node's subgraphs: extra dependencies for ordering. */
        final Map<Node, Set<Value>> captures = new IdentityHashMap<>();

        Scope(Scope parent, Node ownerInParent) {
            this.parent = parent;
            this.ownerInParent = ownerInParent;
        }

        Value resolve(String name) {
            Value v = names.get(name);
            if (v != null) return v;
            Scope child = this;
            for (Scope s = parent; s != null; child = s, s = s.parent) {
                v = s.names.get(name);
                if (v != null) {
                    s.captures.computeIfAbsent(child.ownerInParent, k -> new LinkedHashSet<>()).add(v);
                    return v;
                }
            }
            return null;
        }
    }

    private Graph importGraph(GraphProto p, Scope parent, Node owner) {
        String where = p.hasName() && !p.getName().isEmpty() ? "graph '" + p.getName() + "'" : "graph";
        checkWireTypes(p, where);
        Graph g = new Graph(p.hasName() ? p.getName() : null);
        if (p.hasDocString()) g.setDocString(p.getDocString());
        readMetadata(p.getMetadataPropsList(), g.metadata());
        Scope scope = new Scope(parent, owner);

        for (TensorProto t : p.getInitializerList()) {
            Tensor tensor = importTensor(t, "initializer '" + t.getName() + "'");
            Value v = new Value(t.getName());
            v.setInitializer(tensor);
            define(scope, v, where, "initializer");
            g.addInitializer(v);
        }
        for (SparseTensorProto s : p.getSparseInitializerList()) {
            SparseTensor sparse = importSparse(s, "sparse initializer");
            Value v = new Value(sparse.name() == null ? "" : sparse.name());
            v.setSparseInitializer(sparse);
            define(scope, v, where, "sparse initializer");
            g.addSparseInitializer(v);
        }
        for (ValueInfoProto vi : p.getInputList()) {
            Value v = scope.names.get(vi.getName());
            if (v == null || !v.isConstant() || v.origin() != null) {
                v = new Value(vi.getName());
                define(scope, v, where, "input");
            }
            applyInfo(v, vi);
            g.addInput(v);
        }
        importNodes(p.getNodeList(), g, scope, where);
        for (ValueInfoProto vi : p.getOutputList()) {
            Value v = scope.resolve(vi.getName());
            if (v == null)
                throw error(where, "output '" + vi.getName() + "' is not computed by any node, input or initializer");
            if (v.origin() == null) applyInfo(v, vi);
            g.addOutput(v);
        }
        for (ValueInfoProto vi : p.getValueInfoList()) {
            Value v = scope.names.get(vi.getName());
            if (v == null) v = new Value(vi.getName()); // describes nothing in this graph; kept as the file had it
            if (v.origin() == null) applyInfo(v, vi);
            g.addValueInfo(v);
        }
        g.setOrigin(p.toBuilder().clearNode().clearName().clearInitializer().clearSparseInitializer()
                .clearDocString().clearInput().clearOutput().clearValueInfo().clearMetadataProps().build());
        return g;
    }

    private void define(Scope scope, Value v, String where, String what) {
        if (v.name().isEmpty()) throw error(where, "an " + what + " has an empty name");
        Value prior = scope.names.putIfAbsent(v.name(), v);
        if (prior != null) throw error(where, "value '" + v.name() + "' is defined twice (again as " + what + ")");
    }

    /** Creates the nodes, resolves their inputs and appends them in a valid order. */
    private void importNodes(List<NodeProto> protos, Graph g, Scope scope, String where) {
        List<Node> nodes = new ArrayList<>(protos.size());
        for (NodeProto np : protos) {
            checkWireTypes(np, describe(np));
            List<String> outs = new ArrayList<>(np.getOutputCount());
            for (String o : np.getOutputList()) outs.add(o.isEmpty() ? null : o);
            Node n = new Node(np.hasDomain() ? np.getDomain() : null, np.getOpType(), List.of(), outs);
            for (Value out : n.outputs()) if (out != null) define(scope, out, where, "output of " + describe(np));
            nodes.add(n);
        }
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto np = protos.get(i);
            Node n = nodes.get(i);
            if (np.hasName()) n.setName(np.getName());
            if (np.hasOverload()) n.setOverload(np.getOverload());
            if (np.hasDocString()) n.setDocString(np.getDocString());
            readMetadata(np.getMetadataPropsList(), n.metadata());
            for (int k = 0; k < np.getInputCount(); k++) {
                String in = np.getInput(k);
                if (in.isEmpty()) {
                    n.addInput(null);
                    continue;
                }
                Value v = scope.resolve(in);
                if (v == null)
                    throw error(describe(np), "input " + k + " uses '" + in
                            + "', which no node, graph input or initializer defines"
                            + (where.equals("graph") ? "" : " (in " + where + ")"));
                n.addInput(v);
            }
            for (AttributeProto a : np.getAttributeList())
                n.addAttribute(importAttribute(a, describe(np), scope, n));
            n.setOrigin(np.toBuilder().clearInput().clearOutput().clearName().clearOpType().clearDomain()
                    .clearOverload().clearAttribute().clearDocString().clearMetadataProps().build());
        }
        for (Node n : topologicalOrder(nodes, scope.captures, protos)) g.append(n);
    }

    /**
     * The nodes in file order when that order is valid (the common case, checked in one pass), else a stable
     * topological order; a cycle is an error that names the nodes on it.
     */
    private List<Node> topologicalOrder(List<Node> nodes, Map<Node, Set<Value>> captures, List<NodeProto> protos) {
        Map<Node, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) index.put(nodes.get(i), i);
        boolean ordered = true;
        for (int i = 0; i < nodes.size() && ordered; i++) {
            for (Value v : dependencies(nodes.get(i), captures)) {
                Integer at = v.producer() == null ? null : index.get(v.producer());
                if (at != null && at >= i) {
                    ordered = false;
                    break;
                }
            }
        }
        if (ordered) return nodes;

        int[] pending = new int[nodes.size()];
        Map<Node, List<Node>> users = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            for (Value v : dependencies(n, captures)) {
                Integer at = v.producer() == null ? null : index.get(v.producer());
                if (at == null) continue;
                pending[i]++;
                users.computeIfAbsent(v.producer(), k -> new ArrayList<>()).add(n);
            }
        }
        List<Node> out = new ArrayList<>(nodes.size());
        ArrayDeque<Node> ready = new ArrayDeque<>();
        for (int i = 0; i < nodes.size(); i++) if (pending[i] == 0) ready.add(nodes.get(i));
        while (!ready.isEmpty()) {
            Node n = ready.poll();
            out.add(n);
            for (Node u : users.getOrDefault(n, List.of())) if (--pending[index.get(u)] == 0) ready.add(u);
        }
        if (out.size() < nodes.size()) {
            List<String> stuck = new ArrayList<>();
            for (int i = 0; i < nodes.size() && stuck.size() < 8; i++)
                if (pending[i] > 0) stuck.add(describe(protos.get(i)));
            throw error(null, "the graph has a cycle through " + String.join(", ", stuck)
                    + (nodes.size() - out.size() > stuck.size() ? ", ..." : ""));
        }
        return out;
    }

    private static List<Value> dependencies(Node n, Map<Node, Set<Value>> captures) {
        Set<Value> captured = captures.get(n);
        if (captured == null) return n.inputs().stream().filter(v -> v != null).toList();
        List<Value> all = new ArrayList<>();
        for (Value v : n.inputs()) if (v != null) all.add(v);
        all.addAll(captured);
        return all;
    }

    private void applyInfo(Value v, ValueInfoProto vi) {
        String where = "value '" + vi.getName() + "'";
        checkWireTypes(vi, where);
        if (vi.hasType()) v.setType(importType(vi.getType(), where));
        if (vi.hasDocString()) v.setDocString(vi.getDocString());
        readMetadata(vi.getMetadataPropsList(), v.metadata());
        v.setOrigin(vi.toBuilder().clearName().clearType().clearDocString().clearMetadataProps().build());
    }

    // ---- functions ----

    private Function importFunction(FunctionProto p) {
        String where = "function '" + p.getDomain() + "." + p.getName() + "'";
        checkWireTypes(p, where);
        Graph body = new Graph(null);
        Scope scope = new Scope(null, null);
        for (String in : p.getInputList()) {
            Value v = new Value(in);
            define(scope, v, where, "input");
            body.addInput(v);
        }
        importNodes(p.getNodeList(), body, scope, where);
        for (String out : p.getOutputList()) {
            Value v = scope.resolve(out);
            if (v == null) throw error(where, "output '" + out + "' is not computed by any node or input");
            body.addOutput(v);
        }
        for (ValueInfoProto vi : p.getValueInfoList()) {
            Value v = scope.names.get(vi.getName());
            if (v == null) v = new Value(vi.getName());
            if (v.origin() == null) applyInfo(v, vi);
            body.addValueInfo(v);
        }
        Function f = new Function(p.hasDomain() ? p.getDomain() : null, p.hasName() ? p.getName() : null, body);
        if (p.hasOverload()) f.setOverload(p.getOverload());
        if (p.hasDocString()) f.setDocString(p.getDocString());
        f.attributeNames().addAll(p.getAttributeList());
        for (AttributeProto a : p.getAttributeProtoList()) f.attributeDefaults().add(importAttribute(a, where, null, null));
        for (OperatorSetIdProto o : p.getOpsetImportList()) f.opsets().add(opset(o));
        readMetadata(p.getMetadataPropsList(), f.metadata());
        f.setOrigin(p.toBuilder().clearName().clearDomain().clearOverload().clearInput().clearOutput()
                .clearAttribute().clearAttributeProto().clearNode().clearDocString().clearOpsetImport()
                .clearValueInfo().clearMetadataProps().build());
        return f;
    }

    // ---- attributes ----

    private Attribute importAttribute(AttributeProto a, String element, Scope scope, Node owner) {
        String where = element + ", attribute '" + a.getName() + "'";
        checkWireTypes(a, where);
        Attribute.Kind kind = a.hasType() ? Attribute.Kind.fromCode(a.getType().getNumber()) : inferKind(a);
        if (kind == null) throw error(where, "unknown attribute type " + a.getType());
        AttributeProto.Builder rest = a.toBuilder().clearName().clearRefAttrName().clearDocString();
        Object value = null;
        if (!a.hasRefAttrName()) {
            switch (kind) {
                case FLOAT -> { value = a.getF(); rest.clearF(); }
                case INT -> { value = a.getI(); rest.clearI(); }
                case STRING -> { value = a.getS().toByteArray(); rest.clearS(); }
                case TENSOR -> { value = importTensor(a.getT(), where); rest.clearT(); }
                case GRAPH -> { value = subgraph(a.getG(), scope, owner, where); rest.clearG(); }
                case SPARSE_TENSOR -> { value = importSparse(a.getSparseTensor(), where); rest.clearSparseTensor(); }
                case TYPE_PROTO -> { value = importType(a.getTp(), where); rest.clearTp(); }
                case FLOATS -> {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                    value = f;
                    rest.clearFloats();
                }
                case INTS -> {
                    long[] v = new long[a.getIntsCount()];
                    for (int i = 0; i < v.length; i++) v[i] = a.getInts(i);
                    value = v;
                    rest.clearInts();
                }
                case STRINGS -> {
                    List<byte[]> v = new ArrayList<>();
                    for (ByteString s : a.getStringsList()) v.add(s.toByteArray());
                    value = List.copyOf(v);
                    rest.clearStrings();
                }
                case TENSORS -> {
                    List<Tensor> v = new ArrayList<>();
                    for (TensorProto t : a.getTensorsList()) v.add(importTensor(t, where));
                    value = List.copyOf(v);
                    rest.clearTensors();
                }
                case GRAPHS -> {
                    List<Graph> v = new ArrayList<>();
                    for (GraphProto g : a.getGraphsList()) v.add(subgraph(g, scope, owner, where));
                    value = List.copyOf(v);
                    rest.clearGraphs();
                }
                case SPARSE_TENSORS -> {
                    List<SparseTensor> v = new ArrayList<>();
                    for (SparseTensorProto s : a.getSparseTensorsList()) v.add(importSparse(s, where));
                    value = List.copyOf(v);
                    rest.clearSparseTensors();
                }
                case TYPE_PROTOS -> {
                    List<Type> v = new ArrayList<>();
                    for (TypeProto t : a.getTypeProtosList()) v.add(importType(t, where));
                    value = List.copyOf(v);
                    rest.clearTypeProtos();
                }
                case UNDEFINED -> { }
            }
        }
        return Attribute.read(a.getName(), kind, value, a.hasRefAttrName() ? a.getRefAttrName() : null,
                a.hasDocString() ? a.getDocString() : null, rest.build());
    }

    private Graph subgraph(GraphProto g, Scope scope, Node owner, String where) {
        if (scope == null) throw error(where, "a graph-valued attribute cannot be a function attribute default");
        return importGraph(g, scope, owner);
    }

    /** Files from before attribute types were recorded: the kind is the field that is set. */
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
        return Attribute.Kind.UNDEFINED;
    }

    // ---- tensors ----

    Tensor importTensor(TensorProto t, String where) {
        String element = t.hasName() && !t.getName().isEmpty() && !where.contains("'" + t.getName() + "'")
                ? where + ", tensor '" + t.getName() + "'" : where;
        checkWireTypes(t, element);
        long[] dims = new long[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) throw error(element, "dimension " + i + " is negative (" + dims[i] + ")");
        }
        long count;
        try {
            count = Tensor.elementCount(dims);
        } catch (ArithmeticException e) {
            throw error(element, "shape " + Arrays.toString(dims) + " has more elements than a 64-bit count holds");
        }
        DataType type = DataType.fromCode(t.getDataType());
        long expected = -1;
        if (type != null && type != DataType.STRING && type != DataType.UNDEFINED) {
            try {
                expected = type.byteSize(count);
            } catch (ArithmeticException e) {
                throw error(element, "shape " + Arrays.toString(dims) + " of " + type + " overflows a byte count");
            }
        }
        TensorProto origin = t.toBuilder().clearName().clearDataType().clearDims().clearDocString().build();
        TensorData data = null;
        List<String> strings = null;
        boolean inOrigin = true;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            Map<String, String> ext = new HashMap<>();
            for (StringStringEntryProto e : t.getExternalDataList()) ext.put(e.getKey(), e.getValue());
            data = external.resolve(element, ext.get("location"), ext.get("offset"), ext.get("length"), expected);
            inOrigin = false;
        } else if (type == DataType.STRING) {
            if (t.getStringDataCount() != count && !(count > 0 && t.getStringDataCount() == 0 && t.hasSegment()))
                checkCount(element, t.getStringDataCount(), count, "strings");
            List<String> s = new ArrayList<>(t.getStringDataCount());
            for (ByteString b : t.getStringDataList()) s.add(b.toStringUtf8());
            strings = s;
        } else if (type != null && type != DataType.UNDEFINED) {
            if (t.hasRawData()) {
                if (t.getRawData().size() != expected)
                    throw error(element, "raw_data holds " + t.getRawData().size() + " bytes, but " + type
                            + Arrays.toString(dims) + " needs " + expected);
                data = new ByteStringData(t.getRawData());
            } else if (!t.hasSegment()) {
                long present = TypedFieldData.entriesPresent(t, type);
                long needed = TypedFieldData.entriesFor(type, count);
                checkCount(element, present, needed, "values");
                data = new TypedFieldData(t, type, expected);
            }
        }
        return Tensor.read(t.hasName() ? t.getName() : null, type, t.hasDataType() ? t.getDataType() : -1, dims,
                t.hasDocString() ? t.getDocString() : null, data, strings, origin, inOrigin);
    }

    private void checkCount(String element, long present, long needed, String what) {
        if (present != needed)
            throw error(element, "holds " + present + " " + what + ", but its shape needs " + needed);
    }

    private SparseTensor importSparse(SparseTensorProto s, String where) {
        checkWireTypes(s, where);
        long[] dims = new long[s.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = s.getDims(i);
            if (dims[i] < 0) throw error(where, "sparse tensor dimension " + i + " is negative (" + dims[i] + ")");
        }
        Tensor values = s.hasValues() ? importTensor(s.getValues(), where) : null;
        Tensor indices = s.hasIndices() ? importTensor(s.getIndices(), where) : null;
        return new SparseTensor(values, indices, dims,
                s.toBuilder().clearValues().clearIndices().clearDims().build());
    }

    // ---- types ----

    private Type importType(TypeProto t, String where) {
        checkWireTypes(t, where);
        String den = t.hasDenotation() ? t.getDenotation() : null;
        return switch (t.getValueCase()) {
            case TENSOR_TYPE -> new Type.Tensor(elem(t.getTensorType().hasElemType(), t.getTensorType().getElemType()),
                    t.getTensorType().hasShape() ? shape(t.getTensorType().getShape(), where) : null, den);
            case SPARSE_TENSOR_TYPE -> new Type.SparseTensor(
                    elem(t.getSparseTensorType().hasElemType(), t.getSparseTensorType().getElemType()),
                    t.getSparseTensorType().hasShape() ? shape(t.getSparseTensorType().getShape(), where) : null, den);
            case SEQUENCE_TYPE -> new Type.Sequence(t.getSequenceType().hasElemType()
                    ? importType(t.getSequenceType().getElemType(), where) : null, den);
            case MAP_TYPE -> new Type.Map(elem(t.getMapType().hasKeyType(), t.getMapType().getKeyType()),
                    t.getMapType().hasValueType() ? importType(t.getMapType().getValueType(), where) : null, den);
            case OPTIONAL_TYPE -> new Type.Optional(t.getOptionalType().hasElemType()
                    ? importType(t.getOptionalType().getElemType(), where) : null, den);
            case OPAQUE_TYPE -> new Type.Opaque(t.getOpaqueType().hasDomain() ? t.getOpaqueType().getDomain() : null,
                    t.getOpaqueType().hasName() ? t.getOpaqueType().getName() : null, den);
            case VALUE_NOT_SET -> new Type.Unset(den);
        };
    }

    private static DataType elem(boolean present, int code) {
        return present ? DataType.fromCode(code) : null;
    }

    private Shape shape(TensorShapeProto s, String where) {
        List<Dim> dims = new ArrayList<>(s.getDimCount());
        for (int i = 0; i < s.getDimCount(); i++) {
            TensorShapeProto.Dimension d = s.getDim(i);
            if (d.hasDimValue() && d.getDimValue() < 0)
                throw error(where, "dimension " + i + " of its type is negative (" + d.getDimValue() + ")");
            dims.add(Dim.of(d.hasDimValue() ? d.getDimValue() : null, d.hasDimParam() ? d.getDimParam() : null,
                    d.hasDenotation() ? d.getDenotation() : null));
        }
        return Shape.of(dims);
    }

    // ---- helpers ----

    private static void readMetadata(List<StringStringEntryProto> props, Metadata into) {
        for (StringStringEntryProto e : props)
            into.add(new Metadata.Entry(e.hasKey() ? e.getKey() : null, e.hasValue() ? e.getValue() : null));
    }

    /**
     * Protobuf keeps a field whose wire type does not match its declaration as an unknown field; for a field
     * number the schema knows, that means the file is corrupt or was written against another schema.
     */
    private void checkWireTypes(MessageOrBuilder m, String where) {
        if (m.getUnknownFields().asMap().isEmpty()) return;
        Descriptors.Descriptor d = m.getDescriptorForType();
        for (Integer number : m.getUnknownFields().asMap().keySet()) {
            Descriptors.FieldDescriptor f = d.findFieldByNumber(number);
            if (f != null && f.getType() == Descriptors.FieldDescriptor.Type.ENUM
                    && !m.getUnknownFields().getField(number).getVarintList().isEmpty())
                throw error(where, "field '" + f.getName() + "' holds " + m.getUnknownFields().getField(number)
                        .getVarintList().get(0) + ", which is not a value of " + f.getEnumType().getName()
                        + " known to this version of Tailor");
            if (f != null)
                throw error(where, "field '" + f.getName() + "' (number " + number + ") of " + d.getName()
                        + " has the wrong wire type for a " + f.getType().name().toLowerCase()
                        + "; the file is corrupt or not ONNX");
        }
    }

    static String describe(NodeProto np) {
        String op = (np.getDomain().isEmpty() ? "" : np.getDomain() + ".") + np.getOpType();
        return np.getName().isEmpty() ? "node " + op + " computing '" + String.join("', '", np.getOutputList()) + "'"
                : "node '" + np.getName() + "' (" + op + ")";
    }

    private ModelFormatException error(String element, String problem) {
        return new ModelFormatException(file, element, problem);
    }
}
