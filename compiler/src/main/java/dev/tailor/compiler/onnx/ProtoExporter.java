package dev.tailor.compiler.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * Turns the IR back into protobuf messages. Each element starts from its origin (the file's message with the
 * modelled fields cleared) and gets the modelled fields from the IR, so a model read and written unchanged comes
 * out equal field by field. Tensor bytes are wrapped, not copied.
 */
final class ProtoExporter {
    private final TensorSink sink;

    ProtoExporter(TensorSink sink) {
        this.sink = sink;
    }

    ModelProto exportModel(Model m) {
        ModelProto.Builder b = m.origin() instanceof ModelProto o ? o.toBuilder() : ModelProto.newBuilder();
        if (m.irVersion() != null) b.setIrVersion(m.irVersion());
        for (OpsetImport o : m.opsets()) b.addOpsetImport(opset(o));
        if (m.producerName() != null) b.setProducerName(m.producerName());
        if (m.producerVersion() != null) b.setProducerVersion(m.producerVersion());
        if (m.domain() != null) b.setDomain(m.domain());
        if (m.modelVersion() != null) b.setModelVersion(m.modelVersion());
        if (m.docString() != null) b.setDocString(m.docString());
        if (m.graph() != null) b.setGraph(exportGraph(m.graph()));
        metadata(m.metadata(), b::addMetadataProps);
        for (Function f : m.functions()) b.addFunctions(exportFunction(f));
        return b.build();
    }

    private static OperatorSetIdProto opset(OpsetImport o) {
        OperatorSetIdProto.Builder b = OperatorSetIdProto.newBuilder();
        if (o.domain() != null) b.setDomain(o.domain());
        if (o.version() != null) b.setVersion(o.version());
        return b.build();
    }

    GraphProto exportGraph(Graph g) {
        GraphProto.Builder b = g.origin() instanceof GraphProto o ? o.toBuilder() : GraphProto.newBuilder();
        for (Node n : g.nodes()) b.addNode(exportNode(n));
        if (g.name() != null) b.setName(g.name());
        for (Value v : g.initializers()) b.addInitializer(exportTensor(named(v.initializer(), v.name()), true));
        for (Value v : g.sparseInitializers()) b.addSparseInitializer(exportSparse(v.sparseInitializer(), v.name()));
        if (g.docString() != null) b.setDocString(g.docString());
        for (Value v : g.inputs()) b.addInput(valueInfo(v));
        for (Value v : g.outputs()) b.addOutput(valueInfo(v));
        for (Value v : g.valueInfo()) b.addValueInfo(valueInfo(v));
        metadata(g.metadata(), b::addMetadataProps);
        return b.build();
    }

    private static Tensor named(Tensor t, String name) {
        return name.equals(t.name()) ? t : t.withName(name);
    }

    private ValueInfoProto valueInfo(Value v) {
        ValueInfoProto.Builder b = v.origin() instanceof ValueInfoProto o ? o.toBuilder() : ValueInfoProto.newBuilder();
        b.setName(v.name());
        if (v.type() != null) b.setType(type(v.type()));
        if (v.docString() != null) b.setDocString(v.docString());
        metadata(v.metadata(), b::addMetadataProps);
        return b.build();
    }

    private NodeProto exportNode(Node n) {
        NodeProto.Builder b = n.origin() instanceof NodeProto o ? o.toBuilder() : NodeProto.newBuilder();
        for (Value v : n.inputs()) b.addInput(v == null ? "" : v.name());
        for (Value v : n.outputs()) b.addOutput(v == null ? "" : v.name());
        if (n.name() != null) b.setName(n.name());
        b.setOpType(n.opType());
        if (n.domain() != null) b.setDomain(n.domain());
        if (n.overload() != null) b.setOverload(n.overload());
        for (Attribute a : n.attributes()) b.addAttribute(attribute(a));
        if (n.docString() != null) b.setDocString(n.docString());
        metadata(n.metadata(), b::addMetadataProps);
        return b.build();
    }

    private FunctionProto exportFunction(Function f) {
        FunctionProto.Builder b = f.origin() instanceof FunctionProto o ? o.toBuilder() : FunctionProto.newBuilder();
        if (f.name() != null) b.setName(f.name());
        if (f.domain() != null) b.setDomain(f.domain());
        if (f.overload() != null) b.setOverload(f.overload());
        Graph body = f.body();
        for (Value v : body.inputs()) b.addInput(v.name());
        for (Value v : body.outputs()) b.addOutput(v.name());
        b.addAllAttribute(f.attributeNames());
        for (Attribute a : f.attributeDefaults()) b.addAttributeProto(attribute(a));
        for (Node n : body.nodes()) b.addNode(exportNode(n));
        if (f.docString() != null) b.setDocString(f.docString());
        for (OpsetImport o : f.opsets()) b.addOpsetImport(opset(o));
        for (Value v : body.valueInfo()) b.addValueInfo(valueInfo(v));
        metadata(f.metadata(), b::addMetadataProps);
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private AttributeProto attribute(Attribute a) {
        AttributeProto.Builder b;
        if (a.origin() instanceof AttributeProto o) {
            b = o.toBuilder();
        } else {
            b = AttributeProto.newBuilder().setType(AttributeProto.AttributeType.forNumber(a.kind().code()));
        }
        if (a.name() != null) b.setName(a.name());
        if (a.refAttrName() != null) b.setRefAttrName(a.refAttrName());
        if (a.docString() != null) b.setDocString(a.docString());
        Object v = a.value();
        if (v == null) return b.build();
        switch (a.kind()) {
            case FLOAT -> b.setF((Float) v);
            case INT -> b.setI((Long) v);
            case STRING -> b.setS(ByteString.copyFrom((byte[]) v));
            case TENSOR -> b.setT(exportTensor((Tensor) v, false));
            case GRAPH -> b.setG(exportGraph((Graph) v));
            case SPARSE_TENSOR -> b.setSparseTensor(exportSparse((SparseTensor) v, null));
            case TYPE_PROTO -> b.setTp(type((Type) v));
            case FLOATS -> {
                for (float f : (float[]) v) b.addFloats(f);
            }
            case INTS -> {
                for (long i : (long[]) v) b.addInts(i);
            }
            case STRINGS -> {
                for (byte[] s : (List<byte[]>) v) b.addStrings(ByteString.copyFrom(s));
            }
            case TENSORS -> {
                for (Tensor t : (List<Tensor>) v) b.addTensors(exportTensor(t, false));
            }
            case GRAPHS -> {
                for (Graph g : (List<Graph>) v) b.addGraphs(exportGraph(g));
            }
            case SPARSE_TENSORS -> {
                for (SparseTensor s : (List<SparseTensor>) v) b.addSparseTensors(exportSparse(s, null));
            }
            case TYPE_PROTOS -> {
                for (Type t : (List<Type>) v) b.addTypeProtos(type(t));
            }
            case UNDEFINED -> { }
        }
        return b.build();
    }

    TensorProto exportTensor(Tensor t, boolean initializer) {
        TensorProto.Builder b = t.origin() instanceof TensorProto o ? o.toBuilder() : TensorProto.newBuilder();
        if (t.name() != null) b.setName(t.name());
        if (t.rawDataType() >= 0) b.setDataType(t.rawDataType());
        for (long d : t.dims()) b.addDims(d);
        if (t.docString() != null) b.setDocString(t.docString());

        if (t.data() != null && sink.externalize(t, initializer)) {
            clearData(b);
            TensorSink.Region r;
            try {
                r = sink.write(t);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write external data of tensor '" + t.name() + "'", e);
            }
            b.setDataLocation(TensorProto.DataLocation.EXTERNAL);
            b.addExternalData(entry("location", r.location()));
            b.addExternalData(entry("offset", Long.toString(r.offset())));
            b.addExternalData(entry("length", Long.toString(r.length())));
        } else if (!t.dataInOrigin()) {
            clearData(b);
            if (t.dataType() == DataType.STRING) {
                for (String s : t.strings()) b.addStringData(ByteString.copyFrom(s, StandardCharsets.UTF_8));
            } else if (t.data() != null) {
                b.setRawData(byteString(t.data()));
            }
        }
        return b.build();
    }

    private static ByteString byteString(TensorData data) {
        if (data instanceof ByteStringData bs) return bs.byteString();
        return UnsafeByteOperations.unsafeWrap(data.bytes());
    }

    private static void clearData(TensorProto.Builder b) {
        b.clearRawData().clearFloatData().clearInt32Data().clearInt64Data().clearDoubleData().clearUint64Data()
                .clearStringData().clearExternalData().clearDataLocation();
    }

    private SparseTensorProto exportSparse(SparseTensor s, String name) {
        SparseTensorProto.Builder b = s.origin() instanceof SparseTensorProto o ? o.toBuilder()
                : SparseTensorProto.newBuilder();
        if (s.values() != null)
            b.setValues(exportTensor(name == null ? s.values() : named(s.values(), name), false));
        if (s.indices() != null) b.setIndices(exportTensor(s.indices(), false));
        for (long d : s.dims()) b.addDims(d);
        return b.build();
    }

    static TypeProto type(Type t) {
        TypeProto.Builder b = TypeProto.newBuilder();
        if (t.denotation() != null) b.setDenotation(t.denotation());
        if (t instanceof Type.Tensor x) {
            TypeProto.Tensor.Builder tb = TypeProto.Tensor.newBuilder();
            if (x.elementType() != null) tb.setElemType(x.elementType().code());
            if (x.shape() != null) tb.setShape(shape(x.shape()));
            b.setTensorType(tb);
        } else if (t instanceof Type.SparseTensor x) {
            TypeProto.SparseTensor.Builder tb = TypeProto.SparseTensor.newBuilder();
            if (x.elementType() != null) tb.setElemType(x.elementType().code());
            if (x.shape() != null) tb.setShape(shape(x.shape()));
            b.setSparseTensorType(tb);
        } else if (t instanceof Type.Sequence x) {
            TypeProto.Sequence.Builder sb = TypeProto.Sequence.newBuilder();
            if (x.elementType() != null) sb.setElemType(type(x.elementType()));
            b.setSequenceType(sb);
        } else if (t instanceof Type.Map x) {
            TypeProto.Map.Builder mb = TypeProto.Map.newBuilder();
            if (x.keyType() != null) mb.setKeyType(x.keyType().code());
            if (x.valueType() != null) mb.setValueType(type(x.valueType()));
            b.setMapType(mb);
        } else if (t instanceof Type.Optional x) {
            TypeProto.Optional.Builder ob = TypeProto.Optional.newBuilder();
            if (x.elementType() != null) ob.setElemType(type(x.elementType()));
            b.setOptionalType(ob);
        } else if (t instanceof Type.Opaque x) {
            TypeProto.Opaque.Builder ob = TypeProto.Opaque.newBuilder();
            if (x.domain() != null) ob.setDomain(x.domain());
            if (x.name() != null) ob.setName(x.name());
            b.setOpaqueType(ob);
        }
        return b.build();
    }

    private static TensorShapeProto shape(Shape s) {
        TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
        for (Dim d : s.dims()) {
            TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
            if (d.isKnown()) db.setDimValue(d.value());
            else if (d.isSymbolic()) db.setDimParam(d.param());
            if (d.denotation() != null) db.setDenotation(d.denotation());
            b.addDim(db);
        }
        return b.build();
    }

    private static void metadata(Metadata m, Consumer<StringStringEntryProto> add) {
        for (Metadata.Entry e : m.entries()) {
            StringStringEntryProto.Builder b = StringStringEntryProto.newBuilder();
            if (e.key() != null) b.setKey(e.key());
            if (e.value() != null) b.setValue(e.value());
            add.accept(b.build());
        }
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
