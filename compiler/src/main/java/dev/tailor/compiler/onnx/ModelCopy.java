package dev.tailor.compiler.onnx;

import dev.tailor.compiler.ir.Model;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.nio.file.Path;

/**
 * Deep copies of models for passes that evaluate variants (a model cut at a value, one with some branches
 * bypassed) without touching the model they compile. A copy has its own graph, nodes and values; the tensors'
 * bytes are shared, never duplicated: embedded data is aliased and external data is mapped again where it lies.
 */
public final class ModelCopy {
    private ModelCopy() {}

    public static Model of(Model model) {
        Path base = OnnxWriter.externalFolder(model);
        ModelProto proto = new ProtoExporter(OnnxWriter.references(base)).exportModel(model);
        Model copy = new ProtoImporter(model.location(), base).importModel(proto);
        copy.setLocation(model.location());
        return copy;
    }
}
