package dev.tailor.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Value;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.pass.Evaluator;
import dev.tailor.onnx.proto.OnnxProto.GraphProto;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * The {@link Evaluator} passes use, backed by ONNX Runtime on the CPU. A model is serialized once, in memory,
 * into a session (external data is read where it lies, so models above 2 GiB need no temporary file);
 * intermediate values asked for become extra graph outputs of that session only. A pass may hold many sessions
 * and run them in turn, so idle intra-op threads do not spin.
 */
public final class OrtEvaluator implements Evaluator {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession.SessionOptions.OptLevel optLevel;
    /** Input buffers reused from run to run (at most 256 MiB idle). */
    private final DirectBuffers buffers = new DirectBuffers(256L << 20);

    public OrtEvaluator() {
        this(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    }

    public OrtEvaluator(OrtSession.SessionOptions.OptLevel optLevel) {
        this.optLevel = optLevel;
    }

    @Override
    public Prepared prepare(Model model, List<String> outputs) {
        return prepare(model, outputs, optLevel);
    }

    /** A single run gains nothing from ONNX Runtime's graph optimizations, which cost more than the run. */
    @Override
    public Prepared prepareForSingleRun(Model model, List<String> outputs) {
        return prepare(model, outputs, OrtSession.SessionOptions.OptLevel.NO_OPT);
    }

    private Prepared prepare(Model model, List<String> outputs, OrtSession.SessionOptions.OptLevel level) {
        List<String> wanted = new ArrayList<>(outputs);
        if (wanted.isEmpty()) for (Value v : model.graph().outputs()) wanted.add(v.name());
        OnnxWriter.InMemory serialized = OnnxWriter.inMemory(model);
        Set<String> graphOutputs = new HashSet<>();
        for (Value v : model.graph().outputs()) graphOutputs.add(v.name());
        // Rewriting the serialized form means parsing it again: only when a value asked for is not an output.
        byte[] bytes = graphOutputs.containsAll(wanted) ? serialized.bytes() : withOutputs(serialized.bytes(), wanted);
        Sessions.Opened opened = Sessions.open(env, new OnnxWriter.InMemory(bytes, serialized.externalFolder()),
                Sessions.Options.of(ExecutionProvider.CPU).withOptLevel(level).withoutSpinning());
        return new OrtPrepared(opened, wanted);
    }

    /** The serialized model with the values asked for added as graph outputs, for this session only. */
    private static byte[] withOutputs(byte[] bytes, List<String> wanted) {
        ModelProto proto;
        try {
            proto = ModelProto.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        Set<String> existing = new HashSet<>();
        for (ValueInfoProto o : proto.getGraph().getOutputList()) existing.add(o.getName());
        GraphProto.Builder g = proto.getGraph().toBuilder();
        boolean added = false;
        for (String name : new LinkedHashSet<>(wanted)) {
            if (existing.contains(name)) continue;
            g.addOutput(ValueInfoProto.newBuilder().setName(name));
            added = true;
        }
        return added ? proto.toBuilder().setGraph(g).build().toByteArray() : bytes;
    }

    private final class OrtPrepared implements Prepared {
        private final Sessions.Opened opened;
        private final OrtSession session;
        private final Set<String> outputs;

        OrtPrepared(Sessions.Opened opened, List<String> outputs) {
            this.opened = opened;
            this.session = opened.session();
            this.outputs = new LinkedHashSet<>(outputs);
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs) {
            return run(inputs, outputs);
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> wanted) {
            Set<String> fetch = new LinkedHashSet<>(wanted);
            if (!outputs.containsAll(fetch))
                throw new IllegalArgumentException("outputs " + fetch + " were not all prepared (" + outputs + ")");
            Map<String, OnnxTensor> feed = new HashMap<>();
            List<ByteBuffer> taken = new ArrayList<>();
            IntFunction<ByteBuffer> alloc = size -> {
                ByteBuffer b = buffers.take(size);
                taken.add(b);
                return b;
            };
            try {
                for (Map.Entry<String, Tensor> e : inputs.entrySet())
                    feed.put(e.getKey(), OrtTensors.toOrt(env, e.getValue(), alloc));
                Map<String, Tensor> out = new LinkedHashMap<>();
                try (OrtSession.Result r = session.run(feed, fetch)) {
                    for (Map.Entry<String, OnnxValue> e : r) {
                        if (!(e.getValue() instanceof OnnxTensor t))
                            throw new UnsupportedOperationException("output '" + e.getKey() + "' is not a tensor");
                        out.put(e.getKey(), OrtTensors.fromOrt(e.getKey(), t));
                    }
                }
                return out;
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
            } finally {
                feed.values().forEach(OnnxTensor::close);
                taken.forEach(buffers::give);
            }
        }

        @Override
        public void close() {
            opened.close();
        }
    }
}
