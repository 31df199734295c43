package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/** Feeds for a model whose float inputs became float16 ({@code keep_io_types=false}): float tensors converted. */
final class Fp16Inputs {
    private Fp16Inputs() {}

    static Map<String, Tensor> adapt(Model model, Map<String, Tensor> batch) {
        Map<String, Tensor> out = new LinkedHashMap<>(batch);
        for (Value in : model.graph().inputs()) {
            Tensor t = batch.get(in.name());
            if (t != null && t.dataType() == DataType.FLOAT && in.type() instanceof Type.Tensor tt
                    && tt.elementType() == DataType.FLOAT16)
                out.put(in.name(), Fp16.halfTensor(t, t.name()));
        }
        return out;
    }
}
