package dev.tailor.compiler.ir;

/**
 * An operator set the model or a function imports. {@code domain} null or "" is the default ONNX domain;
 * null fields were unset in the file.
 */
public record OpsetImport(String domain, Long version) {
    public static OpsetImport onnx(long version) {
        return new OpsetImport("", version);
    }

    /** The domain with the default domain spelt "". */
    public String domainName() {
        return domain == null ? "" : domain;
    }
}
