package dev.tailor.compiler.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.onnx.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed texts: each error names the line and column, says what was wrong or expected, and shows the line. */
class TextErrorsTest {
    private static final String H = "<ir_version: 8, opset_import: [\"\" : 17]>\n";

    @TempDir
    Path dir;

    private static TextSyntaxException error(String text) {
        return assertThrows(TextSyntaxException.class, () -> TextReader.read(text));
    }

    private static void expect(String text, int line, int column, String problem) {
        TextSyntaxException e = error(text);
        assertEquals(problem, e.problem());
        assertEquals(line + ":" + column, e.line() + ":" + e.column(), "position of: " + problem);
    }

    @Test
    void aMissingParenthesisSaysWhatWasExpected() {
        TextSyntaxException e = error(H + "g (float x => (float y) {\n  y = Neg (x)\n}\n");
        assertEquals("<text>:2:12: expected ')' or ',', found '=>'\n"
                + "  g (float x => (float y) {\n"
                + "             ^", e.getMessage());
    }

    @Test
    void aMissingArrow() {
        expect(H + "g (float x) (float y) {\n  y = Neg (x)\n}\n", 2, 13, "expected '=>', found '('");
    }

    @Test
    void theEndOfTheTextInsideAGraph() {
        expect(H + "g (float x) => (float y) {\n  y = Neg (x)\n", 3, 14,
                "expected a name, a string, '[', '}', ',' or '=', found end of input");
    }

    @Test
    void aTrailingCommaInAnAttributeList() {
        expect(H + "g (float x) => (float y) {\n  y = Neg <alpha = 1.0, > (x)\n}\n", 3, 25,
                "expected a name or a string, found '>'");
    }

    @Test
    void anUnknownElementTypeListsTheTypes() {
        TextSyntaxException e = error(H + "g (flaot[2] x) => (float[2] y) {\n  y = Neg (x)\n}\n");
        assertEquals(2, e.line());
        assertEquals(4, e.column());
        assertTrue(e.problem().startsWith("unknown element type 'flaot'; the types are float, uint8, int8,"),
                e.problem());
        assertTrue(e.problem().endsWith("float8e8m0, uint2, int2"), e.problem());
    }

    @Test
    void anUnknownAttributeType() {
        expect(H + "g (float x) => (float y) {\n  y = Foo <a: intt = 1> (x)\n}\n", 3, 15,
                "unknown attribute type 'intt'; the types are float, int, string, tensor, graph, sparse_tensor, "
                        + "type_proto, floats, ints, strings, tensors, graphs, sparse_tensors, type_protos");
    }

    @Test
    void anAttributeValueOfTheWrongType() {
        expect(H + "g (float x) => (float y) {\n  y = Foo <a: int = 1.5> (x)\n}\n", 3, 21,
                "attribute 'a' is declared int, but its value is a float");
    }

    @Test
    void anEmptyListNeedsItsType() {
        expect(H + "g (float x) => (float y) {\n  y = Squeeze <axes = []> (x)\n}\n", 3, 23,
                "an empty list needs its type: write axes: ints = [] (or floats, strings, ...)");
    }

    @Test
    void anUnclosedString() {
        expect("<ir_version: 8, producer_name: \"abc>\ng (float x) => (float y) {\n  y = Neg (x)\n}\n", 1, 32,
                "this string is not closed: a '\"' is missing");
    }

    @Test
    void aStrayCharacter() {
        expect(H + "g (float x) => (float y) {\n  y = Neg (x) $\n}\n", 3, 15, "unexpected character '$'");
    }

    @Test
    void anUnknownHeaderKey() {
        expect("<ir_versoin: 8>\ng (float x) => (float y) {\n  y = Neg (x)\n}\n", 1, 2,
                "unknown model header key 'ir_versoin'; the keys are ir_version, opset_import, producer_name, "
                        + "producer_version, domain, model_version, doc_string, metadata_props");
    }

    @Test
    void tooFewValuesForTheShape() {
        expect(H + "g (float x) => (float y)\n<float[2,2] w = {1, 2, 3}>\n{\n  y = Neg (x)\n}\n", 3, 25,
                "3 values for float[2,2], which holds 4");
    }

    @Test
    void aFloatInAnIntegerTensor() {
        expect(H + "g (float x) => (float y)\n<int64[2] w = {1, 2.5}>\n{\n  y = Neg (x)\n}\n", 3, 19,
                "expected an integer for an int64 tensor, found 2.5");
    }

    @Test
    void aTrailingCommaInTensorData() {
        expect(H + "g (float x) => (float y)\n<float[2] w = {1, 2,}>\n{\n  y = Neg (x)\n}\n", 3, 21,
                "expected a value after ','");
    }

    @Test
    void aNumberOutOfRange() {
        expect(H + "g (float x) => (float y)\n<float w = {1e39}>\n{\n  y = Neg (x)\n}\n", 3, 13,
                "1e39 is out of the range of float");
    }

    @Test
    void aSymbolicDimensionInAConstant() {
        expect(H + "g (float x) => (float y)\n<float[N] w = {1}>\n{\n  y = Neg (x)\n}\n", 3, 2,
                "a tensor constant's dimensions are numbers, not 'N'");
    }

    @Test
    void anUndefinedValue() {
        expect(H + "g (float x) => (float y) {\n  t = Neg (x)\n  y = Add (t, bias)\n}\n", 4, 15,
                "'bias' is not defined: no node, graph input or initializer computes it");
    }

    @Test
    void aValueDefinedTwice() {
        expect(H + "g (float x) => (float y) {\n  t = Neg (x)\n  t = Abs (x)\n  y = Add (t, t)\n}\n", 4, 3,
                "'t' is defined twice: first as output of Neg (line 3), again as output of Abs");
    }

    @Test
    void aGraphOutputNothingComputes() {
        expect(H + "g (float x) => (float y, float z) {\n  y = Neg (x)\n}\n", 2, 32,
                "graph output 'z' is not computed by any node, graph input or initializer");
    }

    @Test
    void anAnnotationUnsettingAFieldThatDoesNotExist() {
        expect(H + "g (float x) => (float y) {\n  #!unset domian\n  y = Neg (x)\n}\n", 3, 3,
                "'domian' is not a field of NodeProto");
    }

    @Test
    void anAnnotationInTextFormatNamingAFieldThatDoesNotExist() {
        expect(H + "g (float x) => (float y) {\n  #! doc_strin: \"x\"\n  y = Neg (x)\n}\n", 3, 6,
                "'doc_strin' is not a field of NodeProto");
    }

    @Test
    void anAnnotationThatPrecedesNothing() {
        expect(H + "g (float x) => (float y) {\n  y = Neg (x)\n  #!raw\n}\n", 4, 3,
                "this annotation precedes nothing it can apply to; an annotation goes on the lines just before a "
                        + "graph, node, attribute, value, tensor or function (or at the end, for the model)");
    }

    @Test
    void aRawValueThatDoesNotFitItsType() {
        expect(H + "g (float x) => (float y)\n<\n  #!raw\n  uint8[2] w = {1, 300}\n>\n{\n  y = Neg (x)\n}\n", 5, 20,
                "300 does not fit the 8 bits of a uint8 value");
    }

    @Test
    void aMissingSideFile() {
        String text = H + "g (float x) => (float y)\n<\n  #!raw\n"
                + "  float[4] w = [\"location\": \"gone.data\", \"offset\": \"0\", \"length\": \"16\"]\n>\n"
                + "{\n  y = Neg (x)\n}\n";
        Path file = dir.resolve("m.onnxtxt");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            Files.writeString(file, text);
            TextReader.read(file);
        });
        assertEquals(file + ": line 5, column 16: tensor 'w': external data file 'gone.data' not found (looked for "
                + dir.resolve("gone.data") + ")", e.getMessage());
    }

    @Test
    void aBinaryModelIsNotText() throws Exception {
        Path file = dir.resolve("m.onnxtxt");
        Files.write(file, new byte[] {0x08, 0x07, 0x12, (byte) 0xff, 0x00});
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TextReader.read(file));
        assertEquals(file + ": not UTF-8 text (byte 3 does not start a UTF-8 character); is it a binary ONNX model? "
                + "Those use the .onnx extension", e.getMessage());
        Files.writeString(file, "", StandardCharsets.UTF_8);
        TextSyntaxException empty = assertThrows(TextSyntaxException.class, () -> TextReader.read(file));
        assertEquals("expected a name, a string or '<', found end of input", empty.problem());
    }
}
