package dev.tailor.compiler.text;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.ExternalDataResolver;
import dev.tailor.compiler.onnx.ModelFormatException;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.grammar.OnnxTextLexer;
import dev.tailor.grammar.OnnxTextParser;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.CharBuffer;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CodePointBuffer;
import org.antlr.v4.runtime.CodePointCharStream;
import org.antlr.v4.runtime.CommonTokenStream;

/**
 * Reads models written in the ONNX text syntax ({@code .onnxtxt}), with Tailor's annotations, into the IR.
 * Every problem raises {@link ModelFormatException}; problems of the text itself raise its subclass
 * {@link TextSyntaxException}, which names the line and column, shows the line with a caret and says what was
 * expected.
 *
 * <p>The text reads exactly as onnx's C++ parser reads it (see {@link #parseAsOnnx}); the annotations then restore
 * what the syntax cannot say, so that a model written by {@link TextWriter} reads back equal field by field.
 * Tensors that the writer kept in a side file are read from it (memory-mapped, not copied, for raw data).
 */
public final class TextReader {
    private TextReader() {}

    /** Reads the text model at {@code path}; a side file it refers to is resolved in the same folder. */
    public static Model read(Path path) {
        ModelProto proto = parse(readText(path), path);
        return OnnxReader.read(proto, path);
    }

    /** Reads a text model held in memory (it cannot refer to a side file). */
    public static Model read(String text) {
        return OnnxReader.read(parse(text, null), null);
    }

    /**
     * The ModelProto that {@code text} denotes, annotations applied. {@code file} (or null) names the text in
     * errors and is where a side file is looked for.
     */
    public static ModelProto parse(String text, Path file) {
        Path folder = file == null ? null : file.toAbsolutePath().getParent();
        ProtoTextBuilder.SideData side = file == null ? null : new ProtoTextBuilder.SideData() {
            private final ExternalDataResolver resolver = new ExternalDataResolver(file, folder);

            @Override
            public ByteBuffer read(String element, String location, String offset, String length, long expected) {
                return resolver.resolve(element, location, offset, length, expected).bytes();
            }
        };
        return parse(text, file, true, side);
    }

    /**
     * The ModelProto that onnx's own parser builds from {@code text}: annotations are comments to it, so they are
     * ignored here. For the syntax both read, the two are equal field by field.
     */
    public static ModelProto parseAsOnnx(String text) {
        return parse(text, null, false, null);
    }

    static ModelProto parse(String text, Path file, boolean annotations, ProtoTextBuilder.SideData side) {
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1);
        Source src = new Source(file, text);
        SyntaxErrors errors = new SyntaxErrors(src);
        OnnxTextLexer lexer = new OnnxTextLexer(charStream(text));
        lexer.removeErrorListeners();
        lexer.addErrorListener(errors);
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        OnnxTextParser parser = new OnnxTextParser(tokens);
        parser.removeErrorListeners();
        parser.addErrorListener(errors);
        OnnxTextParser.ModelContext tree = parser.model();
        ProtoTextBuilder builder = new ProtoTextBuilder(src, tokens, annotations, side);
        ModelProto model = builder.model(tree);
        new NameCheck(src, builder.positions).model(model);
        return model;
    }

    /**
     * The text as ANTLR's code-point stream, filled in chunks: {@code CharStreams.fromString} first copies the whole
     * text into a buffer of twice its size, which matters for texts with large tensors written inline.
     */
    private static CharStream charStream(String text) {
        CodePointBuffer.Builder b = CodePointBuffer.builder(text.length());
        char[] chunk = new char[1 << 16];
        for (int i = 0; i < text.length(); ) {
            int n = Math.min(chunk.length, text.length() - i);
            if (n < text.length() - i && Character.isHighSurrogate(text.charAt(i + n - 1))) n--; // keep pairs whole
            text.getChars(i, i + n, chunk, 0);
            b.append(CharBuffer.wrap(chunk, 0, n));
            i += n;
        }
        return CodePointCharStream.fromBuffer(b.build());
    }

    static String readText(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw ModelFormatException.unreadable(path, e);
        }
        int bad = firstInvalidUtf8(bytes);
        if (bad >= 0) {
            boolean binary = bytes.length > 0 && bytes[0] == 0x08;
            throw new ModelFormatException(path, null, "not UTF-8 text (byte " + bad + " does not start a UTF-8 "
                    + "character)" + (binary ? "; is it a binary ONNX model? Those use the .onnx extension" : ""));
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The offset of the first byte that breaks well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
     * nothing above U+10FFFF), or -1 when there is none.
     */
    static int firstInvalidUtf8(byte[] b) {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i] & 0xff;
            if (c < 0x80) {
                i++;
                continue;
            }
            int len;
            int min = 0x80;
            int max = 0xbf;
            if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
            } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                if (c == 0xe0) min = 0xa0;
                if (c == 0xed) max = 0x9f;
            } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                if (c == 0xf0) min = 0x90;
                if (c == 0xf4) max = 0x8f;
            } else {
                return i;
            }
            if (i + len > n) return i;
            int second = b[i + 1] & 0xff;
            if (second < min || second > max) return i;
            for (int k = 2; k < len; k++) if ((b[i + k] & 0xc0) != 0x80) return i;
            i += len;
        }
        return -1;
    }
}
