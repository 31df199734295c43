package dev.tailor.compiler.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tailor.compiler.onnx.ProtoDiff;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-written models covering the constructs of onnx's syntax documentation (docs/Syntax.md: the model header,
 * typed and untyped graph signatures, initializers as input defaults and in the declaration block, value infos,
 * every attribute form, domain-qualified ops, subgraphs, functions with attributes and references, comments),
 * each parsed by Tailor and by onnx's own parser (python3-onnx 1.12): the two models must be equal field by field.
 * All of them are within onnx 1.12's syntax; the newer constructs are tested in {@link TextReaderTest}.
 */
class SyntaxExamplesTest {
    @TempDir
    Path dir;

    static final Map<String, String> EXAMPLES = new LinkedHashMap<>();

    static {
        EXAMPLES.put("overview", """
                <
                  ir_version: 7,
                  opset_import: [ "" : 10 ]
                >
                classifier (float[N, 128] X, float[128, 10] W, float[10] B) => (float[N, 10] C)
                {
                    T = MatMul(X, W)
                    S = Add(T, B)
                    C = Softmax(S)
                }
                """);
        EXAMPLES.put("model header", """
                <
                  ir_version: 8,
                  opset_import: [ "" : 17, "ai.onnx.ml" : 3 ],
                  producer_name: "hand",
                  producer_version: "1.0",
                  domain: "dev.tailor.examples",
                  model_version: 42,
                  doc_string: "A model with every header key.",
                  metadata_props: [ "author" : "someone", "license" : "MIT" ]
                >
                g (float x) => (float y) { y = Neg (x) }
                """);
        EXAMPLES.put("declarations and comments", """
                <ir_version: 8, opset_import: ["" : 17]>
                # A comment before the graph.
                agraph (float[N] y, float[N] z) => (float[N] w)
                <float[2] w1 = {1.0, 2.0}, float[3] w2 = {4.0, 5.0, 6.0}, float[N] x>
                {
                    # This is a comment.
                    x = Add (y, z) # More comments.
                    w = Mul (x, y)
                }
                """);
        EXAMPLES.put("input defaults and untyped inputs", """
                <ir_version: 8, opset_import: ["" : 17]>
                agraph (float y = {1.0}, float[N] z, w0) => (float[N] w)
                <float[2] w1 = {1.0, 2.0}, float[N] x>
                {
                    x = Add (y, z)
                    w = Sum (x, w0, w1)
                }
                """);
        EXAMPLES.put("types and dimensions", """
                <ir_version: 8, opset_import: ["" : 17]>
                types (float[N, 3, ?] a, double[] b, int64 c, bool[1] d, uint8[2,2] e, string[K] f, float16[4] g,
                       bfloat16[4] h, int8[1] i, int16[1] j, int32[1] k, uint16[1] l, uint32[1] m, uint64[1] n,
                       complex64[1] o, complex128[1] p) => (float[N, 3, ?] out)
                {
                    out = Identity (a)
                }
                """);
        EXAMPLES.put("tensor constants of every parseable type", """
                <ir_version: 8, opset_import: ["" : 17]>
                constants () => (float[3] f)
                <
                  float[3] c_float = {1, 2.5, -3.25e-3},
                  double[2] c_double = {0.1, -1e300},
                  int64[3] c_int64 = {-9223372036854775808, 0, 9223372036854775807},
                  int32[2] c_int32 = {-2147483648, 2147483647},
                  int16[2] c_int16 = {-32768, 32767},
                  int8[2] c_int8 = {-128, 127},
                  uint8[2] c_uint8 = {0, 255},
                  uint16[1] c_uint16 = {65535},
                  uint32[1] c_uint32 = {4294967295},
                  uint64[1] c_uint64 = {18446744073709551615},
                  bool[2] c_bool = {1, 0},
                  string[2] c_string = {"Hello", "World"},
                  float c_scalar = {7},
                  float[0] c_empty = {}
                >
                {
                    f = Identity (c_float)
                }
                """);
        EXAMPLES.put("attributes", """
                <ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
                attrs (float[N] x) => (float[N] y)
                {
                    a = com.example.foo <i = 100, f = 200.5, s = "astring", e = 1e-5, n = -2> (x)
                    b = com.example.foo <ints = [5, 10], floats = [0.55, 0.66, 1e3], strings = ["str1", "str2"]> (a)
                    c = com.example.foo <t = float[3] {2.1, 4.1, 6.1}, named = int64[2] shape {1, -1}> (b)
                    d = com.example.foo <ti: int = 2, tf: float = 0.5, ts: string = "x", tl: ints = [1, 2]> (c)
                    y = Identity (d)
                }
                """);
        EXAMPLES.put("attributes after inputs", """
                <ir_version: 8, opset_import: ["" : 17]>
                cast (int64[N] x) => (float[N] y, bool[N] z)
                {
                    y = Cast (x) <to = 1>
                    z = Cast <to = 9> (x)
                }
                """);
        EXAMPLES.put("qualified op names and several outputs", """
                <ir_version: 8, opset_import: ["" : 17, "com.microsoft" : 1]>
                split (float[N, 6] x) => (float[N, 2] a, float[N, 2] b, float[N, 2] c)
                {
                    a, b, c = Split <axis = 1, num_outputs = 3> (x)
                    t = com.microsoft.Gelu (a)
                }
                """);
        EXAMPLES.put("an omitted optional input", """
                <ir_version: 8, opset_import: ["" : 17]>
                clip (float[N] x, float hi) => (float[N] y)
                {
                    y = Clip (x, , hi)
                }
                """);
        EXAMPLES.put("if with subgraphs", """
                <ir_version: 7, opset_import: [ "" : 13 ]>
                iftest (bool b, float[128] X, float[128] Y) => (float[128] Z)
                {
                  Z = If (b) <
                      then_branch = g1 () => (float[128] z_then) { z_then = Identity(X) },
                      else_branch = g2 () => (float[128] z_else) { z_else = Identity(Y) }
                      >
                }
                """);
        EXAMPLES.put("loop with outer-scope values", """
                <ir_version: 8, opset_import: ["" : 17]>
                looptest (int64 n, float[2] init, float[2] step) => (float[2] out)
                {
                    cond = Constant <value = bool {1}> ()
                    out = Loop (n, cond, init) <
                        body = body (int64 i, bool c_in, float[2] acc) => (bool c_out, float[2] next)
                        {
                            c_out = Identity (c_in)
                            next = Add (acc, step)
                        }
                    >
                }
                """);
        EXAMPLES.put("functions", """
                <
                  ir_version: 8,
                  opset_import: [ "" : 10, "local" : 1 ]
                >
                agraph (float[N, 128] X, float[128,10] W, float[10] B) => (float[N] C)
                {
                  T = local.foo (X, W, B)
                  C = local.square(T)
                }

                <
                  opset_import: [ "" : 10 ],
                  domain: "local",
                  doc_string: "Function foo."
                >
                foo (x, w, b) => (c) {
                  T = MatMul(x, w)
                  S = Add(T, b)
                  c = Softmax(S)
                }

                <
                  opset_import: [ "" : 10 ],
                  domain: "local",
                  doc_string: "Function square."
                >
                square (x) => (y) {
                  y = Mul (x, x)
                }
                """);
        EXAMPLES.put("function attributes and references", """
                <ir_version: 8, opset_import: [ "" : 15, "custom" : 1]>
                agraph (float[N] x) => (float[N] out)
                {
                  out = custom.scale <alpha = 2.0, gamma = 3.0> (x)
                }

                <domain: "custom", opset_import: [ "" : 15]>
                scale <alpha, gamma> (X) => (C)
                {
                    constant_alpha = Constant <value_float: float = @alpha> ()
                    constant_gamma = Constant <value_float = @gamma> ()
                    constant_alpha_x = Mul (constant_alpha, X)
                    C = Add (constant_alpha_x, constant_gamma)
                }
                """);
    }

    @Test
    void examplesParseInTailorIntoTheModelPythonBuilds() throws Exception {
        Map<String, PythonOnnx.Parsed> python = PythonOnnx.parseAll(EXAMPLES, dir);
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, String> e : EXAMPLES.entrySet()) {
            PythonOnnx.Parsed q = python.get(e.getKey());
            if (q.model() == null) {
                failures.add(e.getKey() + ": python: " + q.error());
                continue;
            }
            ModelProto tailor = TextReader.parse(e.getValue(), null);
            String diff = ProtoDiff.firstDifference(q.model(), tailor);
            if (diff != null) failures.add(e.getKey() + ": " + diff);
        }
        System.out.printf("syntax examples: %d, each parsed by Tailor into the model python-onnx 1.12 builds%n",
                EXAMPLES.size());
        assertEquals(List.of(), failures);
    }

    @Test
    void examplesReadIntoTheIrAndPrintBackToTheSameModel() {
        for (Map.Entry<String, String> e : EXAMPLES.entrySet()) {
            ModelProto parsed = TextReader.parse(e.getValue(), null);
            String printed = TextWriter.toText(TextReader.read(e.getValue()));
            assertNull(ProtoDiff.firstDifference(parsed, TextReader.parse(printed, null)), e.getKey() + ":\n" + printed);
        }
    }
}
