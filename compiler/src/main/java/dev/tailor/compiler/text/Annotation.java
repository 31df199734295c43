package dev.tailor.compiler.text;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.antlr.v4.runtime.Token;

/**
 * The {@code #!} lines before an element of the text: Tailor's annotations, which carry what the ONNX syntax
 * cannot express and which onnx's parser skips as comments. One directive per line:
 * <ul>
 *   <li>{@code #!raw}, {@code #!typed}: where a tensor's values are stored ({@code raw_data}, or the typed field
 *       such as {@code float_data}, which is what the syntax gives without annotation). On a tensor whose data
 *       refers to an external file, they say that the model holds the data embedded, and the file (Tailor's side
 *       file) only keeps it out of the text. On an attribute, they apply to its tensors.</li>
 *   <li>{@code #!default raw, no-domain, no-tensor-name} (any of raw, typed, no-domain, no-tensor-name): defaults
 *       for a graph or function body and the graphs in its attributes. The storage of the tensors written with
 *       values, unless a tensor says otherwise; that a node written without a domain has no domain field (onnx's
 *       parser sets it to ""); that a tensor constant in an attribute written without a name has no name field
 *       (onnx's parser sets it to ""). A graph with a {@code #!default} line takes exactly those defaults (the rest
 *       as onnx reads the syntax); a graph without one takes its enclosing graph's.</li>
 *   <li>{@code #!unset field, field}: fields that the syntax sets but the element does not have; a field may be a
 *       path into the element ({@code opset_import[0].domain}).</li>
 *   <li>{@code #! field: value ...}: protobuf text format, merged into the element's message: fields the syntax
 *       has no place for ({@code doc_string}, {@code metadata_props}, {@code training_info}, ...).</li>
 *   <li>{@code #!proto BASE64}: the same as binary protobuf, where text format cannot be exact (bytes that are
 *       not UTF-8 in a string field, NaN payloads, unknown fields).</li>
 * </ul>
 * The element's message is built from the syntax, then the storage is applied, then the unset fields are
 * cleared, then the merges are applied in order.
 */
final class Annotation {
    enum Storage { RAW, TYPED }

    static final int CHANNEL = 2;
    static final Annotation NONE = new Annotation();

    Storage storage;
    Token storageToken;
    /** The defaults this element sets for its body, or null when it sets none. */
    Defaults defaults;
    Token defaultToken;
    final List<Token> unsetTokens = new ArrayList<>();
    final List<String> unset = new ArrayList<>();
    final List<Token> mergeTokens = new ArrayList<>();
    /** Text format (String) or serialized protobuf (byte[]). */
    final List<Object> merges = new ArrayList<>();

    boolean isEmpty() {
        return storage == null && defaults == null && unset.isEmpty() && merges.isEmpty();
    }

    static Annotation parse(List<Token> lines, Source src) {
        Annotation a = new Annotation();
        for (Token t : lines) {
            String body = t.getText().substring(2);
            if (body.endsWith("\r")) body = body.substring(0, body.length() - 1);
            String d = body.strip();
            int lead = body.length() - body.stripLeading().length();
            if (d.isEmpty()) throw src.error(t, "an empty annotation; write a directive after #!");
            switch (d) {
                case "raw", "typed" -> {
                    if (a.storage != null) throw src.error(t, "a second storage directive for the same element");
                    a.storage = d.equals("raw") ? Storage.RAW : Storage.TYPED;
                    a.storageToken = t;
                }
                default -> {
                    if (d.startsWith("unset ")) {
                        for (String f : d.substring(6).split("[,\\s]+")) {
                            if (f.isEmpty()) continue;
                            a.unset.add(f);
                            a.unsetTokens.add(t);
                        }
                    } else if (d.startsWith("proto ")) {
                        try {
                            a.merges.add(Base64.getDecoder().decode(d.substring(6).strip()));
                        } catch (IllegalArgumentException e) {
                            throw src.error(t, 2 + lead + 6, "the protobuf of a '#!proto' annotation is not base64");
                        }
                        a.mergeTokens.add(t);
                    } else if (d.equals("default") || d.startsWith("default ")) {
                        Defaults x = a.defaults != null ? a.defaults : Defaults.ONNX;
                        for (String item : d.substring(7).split("[,\\s]+")) {
                            x = switch (item) {
                                case "" -> x;
                                case "raw" -> x.withStorage(Storage.RAW);
                                case "typed" -> x.withStorage(Storage.TYPED);
                                case "no-domain" -> new Defaults(x.storage(), true, x.noTensorName());
                                case "no-tensor-name" -> new Defaults(x.storage(), x.noDomain(), true);
                                default -> throw src.error(t, "unknown default '" + item + "'; the defaults are raw, "
                                        + "typed, no-domain and no-tensor-name");
                            };
                        }
                        a.defaults = x;
                        if (a.defaultToken == null) a.defaultToken = t;
                    } else {
                        a.merges.add(body);
                        a.mergeTokens.add(t);
                    }
                }
            }
        }
        return a;
    }

    /** Fails unless this annotation holds only directives an element of {@code what} takes. */
    void allow(Source src, String what, boolean storage, boolean defaults) {
        if (!storage && this.storage != null)
            throw src.error(storageToken, "'#!" + this.storage.name().toLowerCase() + "' applies to tensors and "
                    + "attributes, not to " + what);
        if (!defaults && this.defaults != null)
            throw src.error(defaultToken, "'#!default' applies to graphs and functions, not to " + what);
    }

    /** The defaults of a graph or function body. */
    record Defaults(Storage storage, boolean noDomain, boolean noTensorName) {
        /** As onnx's parser reads the syntax. */
        static final Defaults ONNX = new Defaults(Storage.TYPED, false, false);

        Defaults withStorage(Storage s) {
            return new Defaults(s, noDomain, noTensorName);
        }
    }

    /** Clears {@code path}: a field of {@code b}, or one reached through message fields and list elements. */
    private static void unset(Message.Builder b, String path, Token t, Source src) {
        Message.Builder target = b;
        String[] parts = path.split("\\.");
        for (int k = 0; k < parts.length; k++) {
            String part = parts[k];
            int index = -1;
            int bracket = part.indexOf('[');
            if (bracket >= 0 && part.endsWith("]")) {
                try {
                    index = Integer.parseInt(part.substring(bracket + 1, part.length() - 1));
                } catch (NumberFormatException e) {
                    throw src.error(t, "'" + path + "': '" + part + "' is not a field or a list element");
                }
                part = part.substring(0, bracket);
            }
            FieldDescriptor f = target.getDescriptorForType().findFieldByName(part);
            if (f == null)
                throw src.error(t, "'" + part + "' is not a field of " + target.getDescriptorForType().getName());
            boolean last = k == parts.length - 1;
            if (last && index < 0) {
                target.clearField(f);
                return;
            }
            if (last || f.getJavaType() != FieldDescriptor.JavaType.MESSAGE || (index >= 0) != f.isRepeated())
                throw src.error(t, "'" + path + "' does not name a field");
            if (index >= 0) {
                if (index >= target.getRepeatedFieldCount(f))
                    throw src.error(t, "'" + path + "': " + part + " has " + target.getRepeatedFieldCount(f)
                            + " elements");
                target = target.getRepeatedFieldBuilder(f, index);
            } else {
                target = target.getFieldBuilder(f);
            }
        }
    }

    /** Clears the unset fields of {@code b}, then merges the text-format and binary annotations into it. */
    void apply(Message.Builder b, Source src) {
        for (int i = 0; i < unset.size(); i++) unset(b, unset.get(i), unsetTokens.get(i), src);
        for (int i = 0; i < merges.size(); i++) {
            Object m = merges.get(i);
            Token t = mergeTokens.get(i);
            if (m instanceof byte[] bytes) {
                try {
                    b.mergeFrom(bytes);
                } catch (InvalidProtocolBufferException e) {
                    throw src.error(t, "the '#!proto' annotation is not a valid " + b.getDescriptorForType().getName()
                            + ": " + e.getMessage());
                }
            } else {
                try {
                    TextFormat.getParser().merge((String) m, b);
                } catch (TextFormat.ParseException e) {
                    String type = b.getDescriptorForType().getName();
                    String msg = e.getMessage();
                    String what;
                    int field = msg.indexOf("onnx." + type + ".");
                    if (msg.contains("unknown field") && field >= 0) {
                        what = "'" + msg.substring(field + type.length() + 6).lines().findFirst().orElse("").strip()
                                + "' is not a field of " + type;
                    } else {
                        int colon = msg.indexOf(": ", msg.indexOf(':') + 1);
                        what = "in this annotation for a " + type + ": "
                                + (colon > 0 ? msg.substring(colon + 2) : msg).lines().findFirst().orElse("");
                    }
                    throw src.error(t, 2 + Math.max(1, e.getColumn()) - 1, what);
                }
            }
        }
    }
}
