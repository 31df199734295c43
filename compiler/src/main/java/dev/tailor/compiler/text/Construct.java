package dev.tailor.compiler.text;

/**
 * Constructs of the text syntax that onnx 1.12's parser (the one Debian's python3-onnx ships) cannot read, so that a
 * caller can tell whether a printed text is within that syntax. Newer onnx parsers read all of them except those
 * marked as Tailor's own. Annotations ({@code #!} comments) are not listed: every onnx parser skips them.
 */
public enum Construct {
    QUOTED_NAME("a quoted name (a name that is not an identifier, or that onnx would read as a type or number)"),
    NODE_LABEL("a node label [name]"),
    STRING_ESCAPE("a string holding '\"' or '\\', which needs an escape"),
    SPECIAL_FLOAT("inf or nan"),
    SUBNORMAL("a subnormal float, which C's strtof (and so onnx's parser) reports as out of range"),
    TYPE_ATTRIBUTE("a type-valued attribute"),
    EMPTY_LIST("an empty list attribute"),
    OVERLOAD("a function overload"),
    FUNCTION_ATTRIBUTE_DEFAULT("a function attribute with a default value"),
    FUNCTION_VALUE_INFO("value infos of a function"),
    EXTERNAL_DATA("tensor data referred to in an external file"),
    ELEMENT_TYPE("an element type newer than bfloat16 (float8, 4- and 2-bit types)"),
    TENSOR_VALUES("tensor values of float16, bfloat16 or complex types"),
    COMPOUND_TYPE("a seq, map, optional, sparse_tensor or opaque type"),
    TENSOR_WITHOUT_DATA("a tensor constant without data"),
    EDGE_EMPTY_NAME("an omitted first or last input or output"),
    TAILOR_ONLY("syntax only Tailor reads: quoted attribute, op or domain names, lists of tensors, graphs or types, "
            + "[] for an attribute without a value, subnormal or out-of-range numbers");

    private final String description;

    Construct(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
