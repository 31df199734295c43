package dev.tailor.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.analysis.Diagnostic;
import dev.tailor.compiler.analysis.ShapeInference;
import dev.tailor.compiler.analysis.Verifier;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.ValueInfoProto;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Type and shape inference on all-MiniLM-L6-v2 as PyTorch exported it (opset 11, no value_info): every node output
 * gets a type with a full shape, the batch and sequence dimensions stay symbolic through the Shape→Gather→
 * Unsqueeze→Concat→Reshape chains, and the FFN intermediate is [batch, sequence, 1536].
 */
class MiniLmShapeInferenceTest {

    @Test
    void everyNodeOutputGetsAShapeWithSymbolicBatchAndSequence() {
        Model m = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        assertTrue(m.graph().valueInfo().isEmpty(), "the exported model carries no value_info: inference starts from nothing");
        ShapeInference.Result r = ShapeInference.infer(m);
        assertEquals(List.of(), r.problems());
        assertEquals(r.outputs(), r.shapedOutputs());
        System.out.printf("MiniLM: %d node outputs, %d with a full type%n", r.outputs(), r.shapedOutputs());

        int ffn = 0;
        int reshapes = 0;
        for (Node n : m.graph().nodes()) {
            for (Value out : n.outputs()) {
                Type.Tensor t = (Type.Tensor) out.type();
                assertNotNull(t.elementType(), out.name());
                assertNotNull(t.shape(), out.name());
            }
            Shape s = ((Type.Tensor) n.output(0).type()).shape();
            if (n.opType().equals("MatMul") && s.rank() == 3 && s.dim(2).isKnown() && s.dim(2).value() == 1536) {
                assertEquals(Shape.of("batch_size", "sequence_length", 1536L), s, n.name());
                assertEquals(DataType.FLOAT, ((Type.Tensor) n.output(0).type()).elementType());
                ffn++;
            }
            if (n.opType().equals("Reshape")) {
                // the attention heads: [batch, seq, 12, 32] and back to [batch, seq, 384]
                assertEquals(Dim.symbolic("batch_size"), s.dim(0), n.name() + " " + s);
                assertEquals(Dim.symbolic("sequence_length"), s.dim(1), n.name() + " " + s);
                assertTrue(s.dims().stream().allMatch(d -> d.isKnown() || d.isSymbolic()), n.name() + " " + s);
                reshapes++;
            }
        }
        assertEquals(6, ffn, "one FFN up-projection per layer");
        assertEquals(24, reshapes);
        Value last = m.graph().outputs().get(0);
        assertEquals(Shape.of("batch_size", "sequence_length", 384L), ((Type.Tensor) last.type()).shape());
    }

    @Test
    void shapeComputationsHaveKnownValues() {
        Model m = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        ShapeInference.Result r = ShapeInference.analyze(m);
        List<String> targets = new ArrayList<>();
        for (Node n : m.graph().nodes()) {
            if (!n.opType().equals("Reshape")) continue;
            List<Dim> target = r.dimsValue(n.input(1));
            assertNotNull(target, n.name());
            targets.add(target.toString());
        }
        assertTrue(targets.contains("[batch_size, sequence_length, 12, 32]"), targets.toString());
        assertTrue(targets.contains("[batch_size, sequence_length, 384]"), targets.toString());
        // every Shape -> Gather -> Unsqueeze step has a known one-element value (a symbol or a size)
        int steps = 0;
        for (Node n : m.graph().nodes())
            if (n.opType().equals("Unsqueeze") && n.input(0).producer() != null
                    && n.input(0).producer().opType().equals("Gather")
                    && n.input(0).producer().input(0).producer() != null
                    && n.input(0).producer().input(0).producer().opType().equals("Shape")) {
                assertNotNull(r.dimsValue(n.output(0)), n.name());
                assertEquals(1, r.dimsValue(n.output(0)).size());
                steps++;
            }
        assertTrue(steps >= 48, "Unsqueeze steps of shape chains: " + steps);
    }

    @Test
    void inferredShapesAreWrittenAsValueInfoAndTheModelStillVerifies() throws Exception {
        Model m = OnnxReader.read(ModelZoo.ALL_MINILM_L6_V2.model());
        ShapeInference.Result r = ShapeInference.infer(m);
        int added = r.recordValueInfo();
        assertEquals(r.outputs() - m.graph().outputs().size(), added);
        List<Diagnostic> problems = Verifier.verify(m);
        assertEquals(List.of(), problems);
        ModelProto written = ModelProto.parseFrom(OnnxWriter.toBytes(m));
        assertEquals(added, written.getGraph().getValueInfoCount());
        ValueInfoProto first = written.getGraph().getValueInfo(0);
        assertTrue(first.getType().hasTensorType() && first.getType().getTensorType().hasShape(), first.toString());
    }
}
