package dev.tailor.compiler.ir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole ONNX model: the main graph, the operator sets it imports, model-local functions and the model's
 * descriptive fields. Everything else the file held (training info, device configurations, fields of future ONNX
 * versions) travels in {@link #origin()} so that import followed by export changes nothing.
 */
public final class Model {
    private Long irVersion;
    private final List<OpsetImport> opsets = new ArrayList<>();
    private String producerName;
    private String producerVersion;
    private String domain;
    private Long modelVersion;
    private String docString;
    private Graph graph;
    private final Metadata metadata = new Metadata();
    private final List<Function> functions = new ArrayList<>();
    private Object origin;
    private Path location;

    public Model(Graph graph) {
        this.graph = graph;
    }

    /** A model of the current IR version importing the ONNX domain at {@code opset}. */
    public static Model of(Graph graph, long opset) {
        Model m = new Model(graph);
        m.irVersion = 10L;
        m.opsets.add(OpsetImport.onnx(opset));
        m.producerName = "tailor";
        return m;
    }

    public Long irVersion() {
        return irVersion;
    }

    public void setIrVersion(Long irVersion) {
        this.irVersion = irVersion;
    }

    public List<OpsetImport> opsets() {
        return opsets;
    }

    /** The imported version of {@code domain} ("" for ONNX), or -1. */
    public long opsetVersion(String domain) {
        for (OpsetImport o : opsets)
            if (o.domainName().equals(domain) || (domain.isEmpty() && "ai.onnx".equals(o.domain())))
                return o.version() == null ? -1 : o.version();
        return -1;
    }

    public String producerName() {
        return producerName;
    }

    public void setProducerName(String producerName) {
        this.producerName = producerName;
    }

    public String producerVersion() {
        return producerVersion;
    }

    public void setProducerVersion(String producerVersion) {
        this.producerVersion = producerVersion;
    }

    public String domain() {
        return domain;
    }

    public void setDomain(String domain) {
        this.domain = domain;
    }

    public Long modelVersion() {
        return modelVersion;
    }

    public void setModelVersion(Long modelVersion) {
        this.modelVersion = modelVersion;
    }

    public String docString() {
        return docString;
    }

    public void setDocString(String docString) {
        this.docString = docString;
    }

    public Graph graph() {
        return graph;
    }

    public void setGraph(Graph graph) {
        this.graph = graph;
    }

    public Metadata metadata() {
        return metadata;
    }

    public List<Function> functions() {
        return functions;
    }

    public Object origin() {
        return origin;
    }

    public void setOrigin(Object origin) {
        this.origin = origin;
    }

    /** The file this model was read from, or null. */
    public Path location() {
        return location;
    }

    public void setLocation(Path location) {
        this.location = location;
    }
}
