package dev.tailor.compiler.analysis;

import dev.tailor.compiler.analysis.ShapeInference.CannotInfer;
import dev.tailor.compiler.analysis.ShapeInference.Ctx;
import dev.tailor.compiler.ir.Attribute;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.compiler.ir.Dim;
import dev.tailor.compiler.ir.Graph;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.ir.Shape;
import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.ir.Type;
import dev.tailor.compiler.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The shape rule of each operator ShapeInference knows, keyed by domain and name; element types mostly come from
 * the schema, so most rules only compute shapes (and, for shape computations, tensor contents).
 */
final class ShapeRules {
    private ShapeRules() {}

    /** Computes a node's output shapes (and types, where the schema does not fix them). */
    interface Rule {
        void infer(Ctx c);
    }

    private static final Map<String, Rule> RULES = new HashMap<>();

    static Rule rule(String domain, String op) {
        return RULES.get(domain + "::" + op);
    }

    private static void onnx(Rule r, String... ops) {
        for (String op : ops) RULES.put("ai.onnx::" + op, r);
    }

    private static void ms(Rule r, String... ops) {
        for (String op : ops) RULES.put("com.microsoft::" + op, r);
    }

    static {
        onnx(ShapeRules::sameShape, "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Celu", "Cos",
                "Cosh", "Elu", "Erf", "Exp", "Floor", "Gelu", "HardSigmoid", "HardSwish", "Hardmax", "IsInf", "IsNaN",
                "LeakyRelu", "Log", "LogSoftmax", "Mish", "Not", "Reciprocal", "Relu", "Round", "Selu", "Shrink",
                "Sigmoid", "Sign", "Sin", "Sinh", "Softmax", "Softplus", "Softsign", "Sqrt", "Tan", "Tanh",
                "ThresholdedRelu", "BitwiseNot", "LRN", "MeanVarianceNormalization", "CumSum", "Trilu",
                "LpNormalization", "InstanceNormalization", "Clip", "DequantizeLinear", "QuantizeLinear",
                "ReverseSequence", "ScatterElements", "Scatter", "ScatterND", "PRelu", "Dropout",
                "GroupNormalization");
        onnx(ShapeRules::neg, "Neg");
        onnx(ShapeRules::identity, "Identity");
        onnx(ShapeRules::cast, "Cast");
        onnx(ShapeRules::castLike, "CastLike");
        onnx(ShapeRules::randomLike, "RandomNormalLike", "RandomUniformLike", "Bernoulli");
        onnx(ShapeRules::dynamicQuantize, "DynamicQuantizeLinear");
        onnx(ShapeRules::recurrent, "RNN", "GRU", "LSTM");
        onnx(ShapeRules::loss, "SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss");
        onnx(ShapeRules::eyeLike, "EyeLike");
        onnx(ShapeRules::random, "RandomNormal", "RandomUniform");
        onnx(ShapeRules::arithmetic, "Add", "Sub", "Mul", "Div", "Mod", "Pow", "BitShift", "BitwiseAnd", "BitwiseOr",
                "BitwiseXor", "And", "Or", "Xor");
        onnx(ShapeRules::comparison, "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual");
        onnx(ShapeRules::variadicBroadcast, "Max", "Min", "Sum", "Mean");
        onnx(ShapeRules::where, "Where");
        onnx(ShapeRules::matMul, "MatMul", "MatMulInteger");
        onnx(c -> matMulOf(c, 0, 3), "QLinearMatMul");
        onnx(ShapeRules::gemm, "Gemm");
        onnx(ShapeRules::conv, "Conv", "ConvInteger", "QLinearConv");
        onnx(ShapeRules::convTranspose, "ConvTranspose");
        onnx(ShapeRules::pool, "AveragePool", "MaxPool", "LpPool");
        onnx(ShapeRules::globalPool, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool");
        onnx(ShapeRules::batchNorm, "BatchNormalization");
        onnx(ShapeRules::layerNorm, "LayerNormalization");
        onnx(ShapeRules::flatten, "Flatten");
        onnx(ShapeRules::reshape, "Reshape");
        onnx(ShapeRules::transpose, "Transpose");
        onnx(ShapeRules::concat, "Concat");
        onnx(ShapeRules::split, "Split");
        onnx(ShapeRules::slice, "Slice");
        onnx(ShapeRules::gather, "Gather");
        onnx(ShapeRules::gatherElements, "GatherElements");
        onnx(ShapeRules::gatherNd, "GatherND");
        onnx(ShapeRules::unsqueeze, "Unsqueeze");
        onnx(ShapeRules::squeeze, "Squeeze");
        onnx(ShapeRules::shape, "Shape");
        onnx(ShapeRules::size, "Size");
        onnx(ShapeRules::constantOfShape, "ConstantOfShape");
        onnx(ShapeRules::constant, "Constant");
        onnx(ShapeRules::expand, "Expand");
        onnx(ShapeRules::tile, "Tile");
        onnx(ShapeRules::range, "Range");
        onnx(ShapeRules::pad, "Pad");
        onnx(ShapeRules::resize, "Resize", "Upsample");
        onnx(ShapeRules::reduce, "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");
        onnx(ShapeRules::argReduce, "ArgMax", "ArgMin");
        onnx(ShapeRules::topK, "TopK");
        onnx(ShapeRules::einsum, "Einsum");
        onnx(ShapeRules::nonZero, "NonZero");
        onnx(ShapeRules::oneHot, "OneHot");
        onnx(ShapeRules::depthToSpace, "DepthToSpace");
        onnx(ShapeRules::spaceToDepth, "SpaceToDepth");
        onnx(ShapeRules::det, "Det");
        onnx(ShapeRules::ifRule, "If");
        onnx(ShapeRules::loop, "Loop");

        ms(ShapeRules::sameShape, "FastGelu", "Gelu", "QuickGelu", "RotaryEmbedding");
        ms(ShapeRules::variadicBroadcast, "BiasGelu");
        ms(ShapeRules::skipLayerNorm, "SkipLayerNormalization", "SkipSimplifiedLayerNormalization");
        onnx(ShapeRules::layerNorm, "SimplifiedLayerNormalization");
        ms(ShapeRules::attention, "Attention");
        ms(ShapeRules::multiHeadAttention, "MultiHeadAttention");
        ms(ShapeRules::groupQueryAttention, "GroupQueryAttention");
        ms(ShapeRules::embedLayerNorm, "EmbedLayerNormalization");
        ms(ShapeRules::matMulNBits, "MatMulNBits");
        ms(ShapeRules::matMul, "DynamicQuantizeMatMul", "MatMulIntegerToFloat");
        ms(ShapeRules::sameShape, "QuantizeLinear", "DequantizeLinear");
    }

    // ---- helpers ----

    static int axis(long axis, int rank, String what) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new CannotInfer(what + " " + axis + " is out of range for rank " + rank);
        return (int) a;
    }

    private static List<Dim> dims(Shape s) {
        List<Dim> out = new ArrayList<>(s.rank());
        for (Dim d : s.dims()) out.add(Dims.plain(d));
        return out;
    }

    /** The multidirectional (numpy) broadcast of shapes. */
    static List<Dim> broadcast(List<Shape> shapes) {
        int rank = 0;
        for (Shape s : shapes) rank = Math.max(rank, s.rank());
        List<Dim> out = new ArrayList<>(rank);
        for (int i = 0; i < rank; i++) {
            List<Dim> column = new ArrayList<>();
            for (Shape s : shapes) {
                int k = i - (rank - s.rank());
                if (k >= 0) column.add(s.dim(k));
            }
            out.add(Dims.broadcast(column));
        }
        return out;
    }

    private static void sameShape(Ctx c) {
        Shape s = c.shape(0);
        for (int i = 0; i < c.outputCount(); i++) {
            if (!c.hasOutput(i)) continue;
            if (c.node.opType().equals("Dropout") || i == 0) c.setShape(i, dims(s));
            else c.reason(i, "this output's shape is not defined by the operator's inputs");
        }
    }

    private static void identity(Ctx c) {
        Type t = c.inType(0);
        if (t != null && !(t instanceof Type.Tensor)) {
            c.setType(0, t);
            return;
        }
        c.setShape(0, dims(c.shape(0)));
        c.setValue(0, c.value(0));
    }

    private static void neg(Ctx c) {
        c.setShape(0, dims(c.shape(0)));
        List<Sym> v = c.value(0);
        if (v != null) c.setValue(0, map(v, x -> x.known() ? Sym.of(-x.value()) : Sym.UNKNOWN));
    }

    private static DataType dataType(long code, String what) {
        DataType d = DataType.fromCode((int) code);
        if (d == null || d == DataType.UNDEFINED) throw new CannotInfer(what + " names unknown data type " + code);
        return d;
    }

    private static void cast(Ctx c) {
        Attribute to = c.attr("to");
        if (to == null) throw new CannotInfer("attribute 'to' is missing");
        DataType d = to.kind() == Attribute.Kind.STRING ? DataType.valueOf(to.asString().toUpperCase(java.util.Locale.ROOT))
                : dataType(to.asInt(), "attribute 'to'");
        c.setElem(0, d);
        c.setShape(0, dims(c.shape(0)));
        if (ShapeInference.isIntegral(d) && c.elem(0) != null && ShapeInference.isIntegral(c.elem(0))) {
            List<Sym> v = c.value(0);
            if (v != null && d == DataType.BOOL) v = map(v, x -> x.known() ? Sym.of(x.value() != 0 ? 1 : 0) : Sym.UNKNOWN);
            c.setValue(0, v);
        }
    }

    private static void castLike(Ctx c) {
        c.setElem(0, c.elem(1));
        c.setShape(0, dims(c.shape(0)));
        if (c.elem(1) != null && ShapeInference.isIntegral(c.elem(1)) && c.elem(0) != null
                && ShapeInference.isIntegral(c.elem(0)) && c.elem(1) != DataType.BOOL)
            c.setValue(0, c.value(0));
    }

    private static void randomLike(Ctx c) {
        Attribute dtype = c.attr("dtype");
        c.setElem(0, dtype != null ? dataType(dtype.asInt(), "attribute 'dtype'") : c.elem(0));
        c.setShape(0, dims(c.shape(0)));
    }

    private static void eyeLike(Ctx c) {
        randomLike(c);
    }

    private static void random(Ctx c) {
        c.setElem(0, dataType(c.intAttr("dtype", DataType.FLOAT.code()), "attribute 'dtype'"));
        long[] shape = c.intsAttr("shape");
        if (shape == null) throw new CannotInfer("attribute 'shape' is missing");
        c.setShape(0, Shape.of(shape));
    }

    private static List<Dim> unknownDims(int rank) {
        List<Dim> out = new ArrayList<>(rank);
        for (int i = 0; i < rank; i++) out.add(Dim.unknown());
        return out;
    }

    private static void dynamicQuantize(Ctx c) {
        c.setShape(0, dims(c.shape(0)));
        c.setShape(1, List.of());
        c.setShape(2, List.of());
    }

    /** RNN, GRU, LSTM: Y [seq, directions, batch, hidden] (layout 0) and the final states [directions, batch, hidden]. */
    private static void recurrent(Ctx c) {
        Shape x = c.shape(0);
        if (x.rank() != 3) throw new CannotInfer("input must be 3-D, got " + x);
        long hidden = c.intAttr("hidden_size", -1);
        if (hidden < 0) throw new CannotInfer("attribute 'hidden_size' is missing");
        Dim dirs = Dim.of(c.stringAttr("direction", "forward").equals("bidirectional") ? 2 : 1);
        boolean batchFirst = c.intAttr("layout", 0) != 0;
        Dim seq = Dims.plain(x.dim(batchFirst ? 1 : 0));
        Dim batch = Dims.plain(x.dim(batchFirst ? 0 : 1));
        Dim h = Dim.of(hidden);
        c.setShape(0, batchFirst ? List.of(batch, seq, dirs, h) : List.of(seq, dirs, batch, h));
        List<Dim> state = batchFirst ? List.of(batch, dirs, h) : List.of(dirs, batch, h);
        for (int i = 1; i < c.outputCount(); i++) if (c.hasOutput(i)) c.setShape(i, state);
    }

    /** SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss: per element without reduction, else a scalar. */
    private static void loss(Ctx c) {
        Shape scores = c.shape(0);
        if (c.stringAttr("reduction", "mean").equals("none")) {
            List<Dim> d = dims(scores);
            d.remove(1);
            c.setShape(0, d);
        } else c.setShape(0, List.of());
        if (c.hasOutput(1)) c.setShape(1, dims(scores));
    }

    // ---- elementwise ----

    private static List<Dim> broadcastInputs(Ctx c, int from, int to) {
        List<Shape> shapes = new ArrayList<>();
        for (int i = from; i < to; i++) if (c.has(i)) shapes.add(c.shape(i));
        return broadcast(shapes);
    }

    private static void arithmetic(Ctx c) {
        // Before opset 7, a broadcast attribute made B conform to A: the result has A's shape.
        if (c.opset < 7 && c.node.domainName().isEmpty()) {
            c.setShape(0, dims(c.shape(0)));
            return;
        }
        c.setShape(0, broadcastInputs(c, 0, c.inputs()));
        String op = c.node.opType();
        DataType elem = c.outElem(0);
        if (elem == null || !ShapeInference.isIntegral(elem)) return;
        List<Sym> a = c.value(0);
        List<Sym> b = c.value(1);
        if (a == null || b == null) return;
        c.setValue(0, zip(a, b, (x, y) -> switch (op) {
            case "Add" -> x.known() && y.known() ? Sym.of(x.value() + y.value())
                    : isZero(y) ? x : isZero(x) ? y : Sym.UNKNOWN;
            case "Sub" -> x.known() && y.known() ? Sym.of(x.value() - y.value()) : isZero(y) ? x : Sym.UNKNOWN;
            case "Mul" -> x.known() && y.known() ? Sym.of(x.value() * y.value())
                    : isOne(y) ? x : isOne(x) ? y : Sym.UNKNOWN;
            case "Div" -> x.known() && y.known() && y.value() != 0 ? Sym.of(x.value() / y.value())
                    : isOne(y) ? x : x.symbolic() && x.same(y) ? Sym.of(1) : Sym.UNKNOWN;
            case "Mod" -> x.known() && y.known() && y.value() != 0 ? Sym.of(Math.floorMod(x.value(), y.value())) : Sym.UNKNOWN;
            default -> Sym.UNKNOWN;
        }));
    }

    private static boolean isZero(Sym s) {
        return s.known() && s.value() == 0;
    }

    private static boolean isOne(Sym s) {
        return s.known() && s.value() == 1;
    }

    private static void comparison(Ctx c) {
        if (c.opset < 7) {
            c.setShape(0, dims(c.shape(0)));
            return;
        }
        c.setShape(0, broadcastInputs(c, 0, 2));
        List<Sym> a = c.value(0);
        List<Sym> b = c.value(1);
        if (a == null || b == null) return;
        String op = c.node.opType();
        c.setValue(0, zip(a, b, (x, y) -> {
            if (op.equals("Equal")) {
                if (x.known() && y.known()) return Sym.of(x.value() == y.value() ? 1 : 0);
                return x.symbolic() && x.same(y) ? Sym.of(1) : Sym.UNKNOWN;
            }
            if (!x.known() || !y.known()) return Sym.UNKNOWN;
            boolean r = switch (op) {
                case "Greater" -> x.value() > y.value();
                case "Less" -> x.value() < y.value();
                case "GreaterOrEqual" -> x.value() >= y.value();
                default -> x.value() <= y.value();
            };
            return Sym.of(r ? 1 : 0);
        }));
    }

    private static void variadicBroadcast(Ctx c) {
        if (c.opset < 8 && c.node.domainName().isEmpty() && !c.node.opType().equals("BiasGelu")) {
            // Max/Min/Sum/Mean before opset 8 require equal shapes
            c.setShape(0, dims(c.shape(0)));
            return;
        }
        c.setShape(0, broadcastInputs(c, 0, c.inputs()));
        String op = c.node.opType();
        if ((op.equals("Max") || op.equals("Min")) && c.inputs() == 2 && c.outElem(0) != null
                && ShapeInference.isIntegral(c.outElem(0)) && c.value(0) != null && c.value(1) != null)
            c.setValue(0, zip(c.value(0), c.value(1), (x, y) -> !x.known() || !y.known() ? Sym.UNKNOWN
                    : Sym.of(op.equals("Max") ? Math.max(x.value(), y.value()) : Math.min(x.value(), y.value()))));
    }

    private static void where(Ctx c) {
        c.setShape(0, broadcastInputs(c, 0, 3));
        List<Sym> cond = c.value(0);
        List<Sym> x = c.value(1);
        List<Sym> y = c.value(2);
        if (cond == null || x == null || y == null) return;
        int n = Math.max(cond.size(), Math.max(x.size(), y.size()));
        if (!fits(cond, n) || !fits(x, n) || !fits(y, n)) return;
        List<Sym> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Sym k = at(cond, i);
            out.add(!k.known() ? (at(x, i).same(at(y, i)) ? at(x, i) : Sym.UNKNOWN) : k.value() != 0 ? at(x, i) : at(y, i));
        }
        c.setValue(0, out);
    }

    private interface SymOp {
        Sym apply(Sym a, Sym b);
    }

    private static boolean fits(List<Sym> v, int n) {
        return v.size() == n || v.size() == 1;
    }

    private static Sym at(List<Sym> v, int i) {
        return v.size() == 1 ? v.get(0) : v.get(i);
    }

    /** Elementwise over two tracked tensors of rank at most 1 (a one-element side broadcasts). */
    private static List<Sym> zip(List<Sym> a, List<Sym> b, SymOp op) {
        int n = Math.max(a.size(), b.size());
        if (!fits(a, n) || !fits(b, n)) return null;
        List<Sym> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(op.apply(at(a, i), at(b, i)));
        return out;
    }

    private static List<Sym> map(List<Sym> v, java.util.function.UnaryOperator<Sym> f) {
        List<Sym> out = new ArrayList<>(v.size());
        for (Sym s : v) out.add(f.apply(s));
        return out;
    }

    // ---- linear algebra ----

    private static void matMul(Ctx c) {
        matMulOf(c, 0, 1);
    }

    private static void matMulOf(Ctx c, int ia, int ib) {
        c.setShape(0, matMulShape(c.shape(ia), c.shape(ib)));
    }

    static List<Dim> matMulShape(Shape a, Shape b) {
        if (a.rank() == 0 || b.rank() == 0) throw new CannotInfer("MatMul of a scalar");
        List<Dim> da = dims(a);
        List<Dim> db = dims(b);
        boolean vecA = da.size() == 1;
        boolean vecB = db.size() == 1;
        if (vecA) da.add(0, Dims.ONE);
        if (vecB) db.add(Dims.ONE);
        Dim k1 = da.get(da.size() - 1);
        Dim k2 = db.get(db.size() - 2);
        if (k1.isKnown() && k2.isKnown() && k1.value() != k2.value())
            throw new CannotInfer("inner dimensions " + k1 + " and " + k2 + " differ");
        List<Dim> out = broadcast(List.of(Shape.of(da.subList(0, da.size() - 2)), Shape.of(db.subList(0, db.size() - 2))));
        if (!vecA) out.add(da.get(da.size() - 2));
        if (!vecB) out.add(db.get(db.size() - 1));
        return out;
    }

    private static void gemm(Ctx c) {
        Shape a = c.shape(0);
        Shape b = c.shape(1);
        if (a.rank() != 2 || b.rank() != 2) throw new CannotInfer("Gemm needs 2-D inputs, got " + a + " and " + b);
        boolean ta = c.intAttr("transA", 0) != 0;
        boolean tb = c.intAttr("transB", 0) != 0;
        c.setShape(0, List.of(Dims.plain(a.dim(ta ? 1 : 0)), Dims.plain(b.dim(tb ? 0 : 1))));
    }

    private static void matMulNBits(Ctx c) {
        Shape a = c.shape(0);
        long n = c.intAttr("N", -1);
        if (n < 0) throw new CannotInfer("attribute 'N' is missing");
        List<Dim> out = dims(a);
        out.set(out.size() - 1, Dim.of(n));
        c.setShape(0, out);
    }

    // ---- convolution and pooling ----

    private static long[] orDefault(long[] v, int n, long dflt) {
        if (v != null) return v;
        long[] out = new long[n];
        Arrays.fill(out, dflt);
        return out;
    }

    /** Spatial output sizes of a convolution or pooling window (ONNX's convPoolShapeInference). */
    private static List<Dim> windowed(Ctx c, Shape x, long[] kernel, boolean ceil) {
        int spatial = x.rank() - 2;
        if (kernel.length != spatial) throw new CannotInfer("kernel rank " + kernel.length + " does not match input " + x);
        long[] strides = orDefault(c.intsAttr("strides"), spatial, 1);
        long[] dilations = orDefault(c.intsAttr("dilations"), spatial, 1);
        long[] pads = orDefault(c.intsAttr("pads"), 2 * spatial, 0);
        String autoPad = c.stringAttr("auto_pad", "NOTSET");
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < spatial; i++) {
            Dim in = x.dim(i + 2);
            long eff = (kernel[i] - 1) * dilations[i] + 1;
            if (!in.isKnown()) {
                out.add(Dim.unknown());
                continue;
            }
            long total;
            if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
                long residual = strides[i] > 1 ? in.value() % strides[i] : 0;
                total = residual == 0 ? eff - strides[i] : eff - residual;
                if (total < 0) total = 0;
            } else if (autoPad.equals("VALID")) total = 0;
            else total = pads[i] + pads[i + spatial];
            long span = in.value() + total - eff;
            long positions = ceil ? (long) Math.ceil(span / (double) strides[i]) : Math.floorDiv(span, strides[i]);
            out.add(Dims.ofValue(positions + 1));
        }
        return out;
    }

    private static void conv(Ctx c) {
        boolean q = c.node.opType().equals("QLinearConv");
        Shape x = c.shape(0);
        Shape w = c.shape(q ? 3 : 1);
        if (x.rank() < 3) throw new CannotInfer("input " + x + " has no spatial dimensions");
        long[] kernel = c.intsAttr("kernel_shape");
        if (kernel == null) {
            kernel = new long[w.rank() - 2];
            for (int i = 2; i < w.rank(); i++) {
                if (!w.dim(i).isKnown()) throw new CannotInfer("kernel size of weight " + w + " is unknown");
                kernel[i - 2] = w.dim(i).value();
            }
        }
        List<Dim> out = new ArrayList<>(List.of(Dims.plain(x.dim(0)), Dims.plain(w.dim(0))));
        out.addAll(windowed(c, x, kernel, false));
        c.setShape(0, out);
    }

    private static void convTranspose(Ctx c) {
        Shape x = c.shape(0);
        Shape w = c.shape(1);
        int spatial = x.rank() - 2;
        long group = c.intAttr("group", 1);
        Dim channels = Dims.mul(Dims.plain(w.dim(1)), Dim.of(group));
        List<Dim> out = new ArrayList<>(List.of(Dims.plain(x.dim(0)), channels));
        long[] outputShape = c.intsAttr("output_shape");
        if (outputShape != null) {
            for (int i = outputShape.length - spatial; i < outputShape.length; i++) out.add(Dims.ofValue(outputShape[i]));
            c.setShape(0, out);
            return;
        }
        long[] kernel = c.intsAttr("kernel_shape");
        if (kernel == null) {
            kernel = new long[spatial];
            for (int i = 0; i < spatial; i++) {
                if (!w.dim(i + 2).isKnown()) throw new CannotInfer("kernel size of weight " + w + " is unknown");
                kernel[i] = w.dim(i + 2).value();
            }
        }
        long[] strides = orDefault(c.intsAttr("strides"), spatial, 1);
        long[] dilations = orDefault(c.intsAttr("dilations"), spatial, 1);
        long[] pads = orDefault(c.intsAttr("pads"), 2 * spatial, 0);
        long[] outputPadding = orDefault(c.intsAttr("output_padding"), spatial, 0);
        String autoPad = c.stringAttr("auto_pad", "NOTSET");
        for (int i = 0; i < spatial; i++) {
            Dim in = x.dim(i + 2);
            if (!in.isKnown()) {
                out.add(Dim.unknown());
                continue;
            }
            if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) out.add(Dim.of(in.value() * strides[i]));
            else {
                long eff = (kernel[i] - 1) * dilations[i] + 1;
                out.add(Dims.ofValue(strides[i] * (in.value() - 1) + outputPadding[i] + eff - pads[i] - pads[i + spatial]));
            }
        }
        c.setShape(0, out);
    }

    private static void pool(Ctx c) {
        Shape x = c.shape(0);
        if (x.rank() < 3) throw new CannotInfer("input " + x + " has no spatial dimensions");
        long[] kernel = c.intsAttr("kernel_shape");
        if (kernel == null) throw new CannotInfer("attribute 'kernel_shape' is missing");
        List<Dim> out = new ArrayList<>(List.of(Dims.plain(x.dim(0)), Dims.plain(x.dim(1))));
        out.addAll(windowed(c, x, kernel, c.intAttr("ceil_mode", 0) != 0));
        c.setShape(0, out);
        if (c.hasOutput(1)) c.setShape(1, out);
    }

    private static void globalPool(Ctx c) {
        Shape x = c.shape(0);
        List<Dim> out = new ArrayList<>(List.of(Dims.plain(x.dim(0)), Dims.plain(x.dim(1))));
        for (int i = 2; i < x.rank(); i++) out.add(Dims.ONE);
        c.setShape(0, out);
    }

    // ---- normalization ----

    private static void batchNorm(Ctx c) {
        c.setShape(0, dims(c.shape(0)));
        for (int i = 1; i < c.outputCount(); i++)
            if (c.hasOutput(i) && c.shapeOrNull(3) != null) c.setShape(i, dims(c.shape(3)));
    }

    private static void layerNorm(Ctx c) {
        Shape x = c.shape(0);
        c.setShape(0, dims(x));
        int axis = axis(c.intAttr("axis", -1), x.rank(), "axis");
        List<Dim> stat = dims(x);
        for (int i = axis; i < stat.size(); i++) stat.set(i, Dims.ONE);
        for (int i = 1; i < c.outputCount(); i++) {
            if (!c.hasOutput(i)) continue;
            c.setShape(i, stat);
            if (c.outElem(i) == null) c.setElem(i, DataType.FLOAT);
        }
    }

    private static void skipLayerNorm(Ctx c) {
        Shape x = c.shape(0);
        c.setShape(0, dims(x));
        List<Dim> stat = dims(x);
        stat.set(stat.size() - 1, Dims.ONE);
        if (c.hasOutput(1)) c.setShape(1, stat);
        if (c.hasOutput(2)) c.setShape(2, stat);
        if (c.hasOutput(3)) c.setShape(3, dims(x));
    }

    // ---- shape manipulation ----

    private static void flatten(Ctx c) {
        Shape x = c.shape(0);
        int axis = (int) c.intAttr("axis", 1);
        if (axis < 0) axis += x.rank();
        if (axis < 0 || axis > x.rank()) throw new CannotInfer("axis " + c.intAttr("axis", 1) + " is out of range for " + x);
        List<Dim> d = dims(x);
        c.setShape(0, List.of(Dims.product(d.subList(0, axis)), Dims.product(d.subList(axis, d.size()))));
    }

    private static void reshape(Ctx c) {
        List<Sym> target;
        if (c.opset < 5) {
            long[] s = c.intsAttr("shape");
            if (s == null) throw new CannotInfer("attribute 'shape' is missing");
            target = new ArrayList<>();
            for (long v : s) target.add(Sym.of(v));
        } else {
            target = c.value(1);
            if (target == null) {
                Shape s = c.shapeOrNull(1);
                if (s != null && s.rank() == 1 && s.dim(0).isKnown()) {
                    List<Dim> unknown = new ArrayList<>();
                    for (long i = 0; i < s.dim(0).value(); i++) unknown.add(Dim.unknown());
                    c.setShape(0, unknown);
                    return;
                }
                throw new CannotInfer("the target shape (input 1) is not known");
            }
        }
        boolean allowZero = c.intAttr("allowzero", 0) != 0;
        Shape in = c.shapeOrNull(0);
        c.setShape(0, reshapeDims(in, target, allowZero));
        c.setValue(0, c.value(0));
    }

    /** Reshape's target with 0 (copy) and -1 (infer) resolved as far as the input shape allows. */
    static List<Dim> reshapeDims(Shape in, List<Sym> target, boolean allowZero) {
        List<Dim> out = new ArrayList<>(target.size());
        int inferAt = -1;
        for (int i = 0; i < target.size(); i++) {
            Sym t = target.get(i);
            if (t.known() && t.value() == -1) {
                inferAt = i;
                out.add(Dim.unknown());
            } else if (t.known() && t.value() == 0 && !allowZero) {
                out.add(in != null && i < in.rank() ? Dims.plain(in.dim(i)) : Dim.unknown());
            } else out.add(t.toDim());
        }
        if (inferAt >= 0 && in != null) out.set(inferAt, inferred(in, out, inferAt));
        return out;
    }

    /** The -1 of a reshape: input size divided by the other output dims, cancelling equal symbols. */
    private static Dim inferred(Shape in, List<Dim> out, int at) {
        List<String> symbols = new ArrayList<>();
        long known = 1;
        for (Dim d : in.dims()) {
            if (d.isKnown()) known *= d.value();
            else if (d.isSymbolic()) symbols.add(d.param());
            else return Dim.unknown();
        }
        long rest = 1;
        for (int i = 0; i < out.size(); i++) {
            if (i == at) continue;
            Dim d = out.get(i);
            if (d.isKnown()) rest *= d.value();
            else if (d.isSymbolic() && symbols.remove(d.param())) continue;
            else return Dim.unknown();
        }
        if (rest == 0 || known % rest != 0) return Dim.unknown();
        long q = known / rest;
        if (symbols.isEmpty()) return Dim.of(q);
        if (symbols.size() == 1 && q == 1) return Dim.symbolic(symbols.get(0));
        return Dim.unknown();
    }

    private static void transpose(Ctx c) {
        Shape x = c.shape(0);
        long[] perm = c.intsAttr("perm");
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) {
            int p = perm == null ? x.rank() - 1 - i : axis(perm[i], x.rank(), "perm entry");
            out.add(Dims.plain(x.dim(p)));
        }
        if (perm != null && perm.length != x.rank()) throw new CannotInfer("perm has " + perm.length + " entries for rank " + x.rank());
        c.setShape(0, out);
    }

    private static void concat(Ctx c) {
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < c.inputs(); i++) shapes.add(c.shape(i));
        int rank = shapes.get(0).rank();
        for (Shape s : shapes)
            if (s.rank() != rank) throw new CannotInfer("inputs of rank " + rank + " and " + s.rank());
        Attribute axisAttr = c.attr("axis");
        if (axisAttr == null && c.opset >= 4) throw new CannotInfer("attribute 'axis' is missing");
        int axis = axis(axisAttr == null ? 1 : axisAttr.asInt(), rank, "axis");
        List<Dim> out = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            if (d == axis) {
                Dim sum = Dim.of(0);
                for (Shape s : shapes) sum = Dims.add(sum, s.dim(d));
                out.add(sum);
            } else {
                Dim pick = Dim.unknown();
                for (Shape s : shapes) {
                    Dim e = s.dim(d);
                    if (e.isKnown()) {
                        pick = Dim.of(e.value());
                        break;
                    }
                    if (e.isSymbolic() && !pick.isSymbolic()) pick = Dim.symbolic(e.param());
                }
                out.add(pick);
            }
        }
        c.setShape(0, out);
        if (rank == 1) {
            List<Sym> all = new ArrayList<>();
            for (int i = 0; i < c.inputs(); i++) {
                List<Sym> v = c.value(i);
                if (v == null) return;
                all.addAll(v);
            }
            c.setValue(0, all);
        }
    }

    private static void split(Ctx c) {
        Shape x = c.shape(0);
        int axis = axis(c.intAttr("axis", 0), x.rank(), "axis");
        int n = c.outputCount();
        long[] sizes = c.intsAttr("split");
        if (sizes == null && c.has(1)) sizes = c.requireLongs(1, "split");
        Dim whole = x.dim(axis);
        List<Dim> parts = new ArrayList<>();
        if (sizes != null) {
            if (sizes.length != n) throw new CannotInfer("split has " + sizes.length + " sizes for " + n + " outputs");
            for (long s : sizes) parts.add(Dims.ofValue(s));
        } else if (whole.isKnown()) {
            long len = whole.value();
            if (c.attr("num_outputs") != null) {
                long chunk = (len + n - 1) / n;
                for (int i = 0; i < n; i++) parts.add(Dim.of(Math.max(0, Math.min(chunk, len - chunk * i))));
            } else {
                if (len % n != 0) throw new CannotInfer("dimension " + len + " does not split evenly into " + n);
                for (int i = 0; i < n; i++) parts.add(Dim.of(len / n));
            }
        } else for (int i = 0; i < n; i++) parts.add(n == 1 ? Dims.plain(whole) : Dim.unknown());
        for (int i = 0; i < n; i++) {
            List<Dim> d = dims(x);
            d.set(axis, parts.get(i));
            c.setShape(i, d);
        }
    }

    private static void slice(Ctx c) {
        Shape x = c.shape(0);
        List<Sym> starts;
        List<Sym> ends;
        long[] axes;
        long[] steps = null;
        if (c.opset < 10) {
            long[] s = c.intsAttr("starts");
            long[] e = c.intsAttr("ends");
            if (s == null || e == null) throw new CannotInfer("attributes 'starts' and 'ends' are required");
            starts = syms(s);
            ends = syms(e);
            axes = c.intsAttr("axes");
        } else {
            starts = c.value(1);
            ends = c.value(2);
            if (starts == null || ends == null) throw new CannotInfer("starts and ends are not known");
            axes = c.has(3) ? c.requireLongs(3, "axes") : null;
            steps = c.has(4) ? c.requireLongs(4, "steps") : null;
        }
        int count = starts.size();
        if (ends.size() != count) throw new CannotInfer("starts and ends differ in length");
        if (axes == null) {
            axes = new long[count];
            for (int i = 0; i < count; i++) axes[i] = i;
        }
        List<Dim> out = dims(x);
        List<Sym> v = c.value(0);
        for (int i = 0; i < count; i++) {
            int a = axis(axes[i], x.rank(), "axis");
            long step = steps == null ? 1 : steps[i];
            if (step == 0) throw new CannotInfer("step 0");
            Dim d = x.dim(a);
            Sym s = starts.get(i);
            Sym e = ends.get(i);
            out.set(a, slicedDim(d, s, e, step));
            if (x.rank() == 1 && v != null && s.known() && e.known()) {
                long[] r = sliceRange(v.size(), s.value(), e.value(), step);
                List<Sym> sv = new ArrayList<>();
                for (long k = r[0]; step > 0 ? k < r[1] : k > r[1]; k += step) sv.add(v.get((int) k));
                v = sv;
            } else v = null;
        }
        c.setShape(0, out);
        if (x.rank() == 1 && v != null) c.setValue(0, v);
    }

    private static List<Sym> syms(long[] v) {
        List<Sym> out = new ArrayList<>();
        for (long x : v) out.add(Sym.of(x));
        return out;
    }

    /** Clamped [start, end) of a slice over a known length (ONNX semantics). */
    private static long[] sliceRange(long len, long start, long end, long step) {
        if (start < 0) start += len;
        if (end < 0) end += len;
        if (step > 0) {
            start = Math.max(0, Math.min(start, len));
            end = Math.max(0, Math.min(end, len));
        } else {
            start = Math.max(-1, Math.min(start, len - 1));
            end = Math.max(-1, Math.min(end, len - 1));
        }
        return new long[] {start, end};
    }

    private static Dim slicedDim(Dim d, Sym s, Sym e, long step) {
        if (d.isKnown() && s.known() && e.known()) {
            long[] r = sliceRange(d.value(), s.value(), e.value(), step);
            long n = step > 0 ? Math.max(0, (r[1] - r[0] + step - 1) / step) : Math.max(0, (r[0] - r[1] - step - 1) / -step);
            return Dim.of(n);
        }
        if (step == 1 && s.known() && s.value() == 0) {
            if (e.known() && e.value() >= Integer.MAX_VALUE) return Dims.plain(d);
            if (e.symbolic() && d.isSymbolic() && d.param().equals(e.param())) return Dims.plain(d);
            // A prefix up to a symbolic length: exporters slice position tables to the sequence length this way.
            if (e.symbolic() && !d.isSymbolic()) return Dim.symbolic(e.param());
        }
        return Dim.unknown();
    }

    private static void gather(Ctx c) {
        Shape data = c.shape(0);
        Shape idx = c.shape(1);
        int axis = axis(c.intAttr("axis", 0), data.rank(), "axis");
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < axis; i++) out.add(Dims.plain(data.dim(i)));
        out.addAll(dims(idx));
        for (int i = axis + 1; i < data.rank(); i++) out.add(Dims.plain(data.dim(i)));
        c.setShape(0, out);
        List<Sym> v = c.value(0);
        long[] ix = c.longs(1);
        if (data.rank() == 1 && v != null && ix != null && idx.rank() <= 1) {
            List<Sym> picked = new ArrayList<>();
            for (long k : ix) {
                long j = k < 0 ? k + v.size() : k;
                if (j < 0 || j >= v.size()) return;
                picked.add(v.get((int) j));
            }
            c.setValue(0, picked);
        }
    }

    private static void gatherElements(Ctx c) {
        c.setShape(0, dims(c.shape(1)));
    }

    private static void gatherNd(Ctx c) {
        Shape data = c.shape(0);
        Shape idx = c.shape(1);
        int batch = (int) c.intAttr("batch_dims", 0);
        Dim last = idx.dim(idx.rank() - 1);
        if (!last.isKnown()) throw new CannotInfer("the last dimension of the indices is unknown");
        List<Dim> out = new ArrayList<>(dims(idx).subList(0, idx.rank() - 1));
        for (int i = batch + (int) last.value(); i < data.rank(); i++) out.add(Dims.plain(data.dim(i)));
        c.setShape(0, out);
    }

    private static long[] axesOf(Ctx c) {
        if (c.opset < 13 || !c.node.domainName().isEmpty()) return c.intsAttr("axes");
        return c.has(1) ? c.requireLongs(1, "axes") : null;
    }

    private static void unsqueeze(Ctx c) {
        Shape x = c.shape(0);
        long[] axes = axesOf(c);
        if (axes == null) throw new CannotInfer("axes are missing");
        int rank = x.rank() + axes.length;
        boolean[] inserted = new boolean[rank];
        for (long a : axes) {
            int k = axis(a, rank, "axis");
            if (inserted[k]) throw new CannotInfer("axis " + a + " repeats");
            inserted[k] = true;
        }
        List<Dim> out = new ArrayList<>();
        int j = 0;
        for (int i = 0; i < rank; i++) out.add(inserted[i] ? Dims.ONE : Dims.plain(x.dim(j++)));
        c.setShape(0, out);
        if (rank <= 1) c.setValue(0, c.value(0));
    }

    private static void squeeze(Ctx c) {
        Shape x = c.shape(0);
        long[] axes = axesOf(c);
        boolean[] drop = new boolean[x.rank()];
        if (axes == null) {
            for (int i = 0; i < x.rank(); i++) {
                Dim d = x.dim(i);
                if (!d.isKnown()) throw new CannotInfer("without axes, dimension " + i + " (" + d + ") may or may not be 1");
                drop[i] = d.value() == 1;
            }
        } else for (long a : axes) {
            int k = axis(a, x.rank(), "axis");
            if (x.dim(k).isKnown() && x.dim(k).value() != 1)
                throw new CannotInfer("axis " + a + " has size " + x.dim(k) + ", not 1");
            drop[k] = true;
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) if (!drop[i]) out.add(Dims.plain(x.dim(i)));
        c.setShape(0, out);
        if (out.size() <= 1) c.setValue(0, c.value(0));
    }

    private static void shape(Ctx c) {
        Shape x = c.shape(0);
        int r = x.rank();
        int start = 0;
        int end = r;
        if (c.opset >= 15) {
            long s = c.intAttr("start", 0);
            Attribute e = c.attr("end");
            start = (int) Math.max(0, Math.min(r, s < 0 ? s + r : s));
            if (e != null) {
                long ev = e.asInt();
                end = (int) Math.max(0, Math.min(r, ev < 0 ? ev + r : ev));
            }
        }
        int n = Math.max(0, end - start);
        c.setShape(0, List.of(Dim.of(n)));
        List<Sym> v = new ArrayList<>();
        for (int i = start; i < start + n; i++) v.add(Sym.of(x.dim(i)));
        c.setValue(0, v);
    }

    private static void size(Ctx c) {
        c.setShape(0, List.of());
        Shape x = c.shapeOrNull(0);
        if (x == null) return;
        Dim p = Dims.product(x.dims());
        c.setValue(0, List.of(Sym.of(p)));
    }

    private static void constantOfShape(Ctx c) {
        List<Sym> shape = c.value(0);
        Attribute value = c.attr("value");
        DataType elem = value == null ? DataType.FLOAT : value.asTensor().dataType();
        c.setElem(0, elem);
        if (shape == null) {
            Shape s = c.shapeOrNull(0);
            if (s != null && s.rank() == 1 && s.dim(0).isKnown()) {
                List<Dim> unknown = new ArrayList<>();
                for (long i = 0; i < s.dim(0).value(); i++) unknown.add(Dim.unknown());
                c.setShape(0, unknown);
                return;
            }
            throw new CannotInfer("the shape (input 0) is not known");
        }
        List<Dim> out = new ArrayList<>();
        for (Sym s : shape) out.add(s.toDim());
        c.setShape(0, out);
        if (out.size() <= 1 && value != null && ShapeInference.isIntegral(elem)) {
            List<Sym> fill = ShapeInference.contents(value.asTensor());
            if (fill == null || fill.size() != 1) return;
            if (out.isEmpty()) c.setValue(0, fill);
            else if (out.get(0).isKnown() && out.get(0).value() <= ShapeInference.VALUE_LIMIT)
                c.setValue(0, java.util.Collections.nCopies((int) out.get(0).value(), fill.get(0)));
        }
    }

    private static void constant(Ctx c) {
        for (Attribute a : c.node.attributes()) {
            if (a.isReference() || a.value() == null) continue;
            switch (a.name()) {
                case "value" -> {
                    Tensor t = a.asTensor();
                    c.setElem(0, t.dataType());
                    c.setShape(0, Shape.of(t.dims()));
                    c.setValue(0, ShapeInference.contents(t));
                }
                case "value_float" -> {
                    c.setElem(0, DataType.FLOAT);
                    c.setShape(0, List.of());
                }
                case "value_floats" -> {
                    c.setElem(0, DataType.FLOAT);
                    c.setShape(0, List.of(Dim.of(a.asFloats().length)));
                }
                case "value_int" -> {
                    c.setElem(0, DataType.INT64);
                    c.setShape(0, List.of());
                    c.setValue(0, List.of(Sym.of(a.asInt())));
                }
                case "value_ints" -> {
                    c.setElem(0, DataType.INT64);
                    c.setShape(0, List.of(Dim.of(a.asInts().length)));
                    c.setValue(0, syms(a.asInts()));
                }
                case "value_string" -> {
                    c.setElem(0, DataType.STRING);
                    c.setShape(0, List.of());
                }
                case "value_strings" -> {
                    c.setElem(0, DataType.STRING);
                    c.setShape(0, List.of(Dim.of(((List<?>) a.value()).size())));
                }
                case "sparse_value" -> {
                    dev.tailor.compiler.ir.SparseTensor s = (dev.tailor.compiler.ir.SparseTensor) a.value();
                    if (s.values() != null) c.setElem(0, s.values().dataType());
                    c.setShape(0, Shape.of(s.dims()));
                }
                default -> { }
            }
        }
    }

    private static void expand(Ctx c) {
        Shape x = c.shape(0);
        List<Sym> target = c.value(1);
        if (target == null) {
            Shape s = c.shapeOrNull(1);
            if (s != null && s.rank() == 1 && s.dim(0).isKnown()) {
                int rank = (int) Math.max(x.rank(), s.dim(0).value());
                List<Dim> out = new ArrayList<>();
                // where the input has a size other than 1, the result has that size
                for (int i = 0; i < rank; i++) {
                    int k = i - (rank - x.rank());
                    Dim d = k >= 0 ? x.dim(k) : null;
                    out.add(d != null && d.isKnown() && d.value() != 1 ? Dim.of(d.value()) : Dim.unknown());
                }
                c.setShape(0, out);
                c.reason(0, "the target shape is not known");
                return;
            }
            throw new CannotInfer("the target shape (input 1) is not known");
        }
        List<Dim> t = new ArrayList<>();
        for (Sym s : target) t.add(s.toDim());
        c.setShape(0, broadcast(List.of(x, Shape.of(t))));
    }

    private static void tile(Ctx c) {
        Shape x = c.shape(0);
        List<Sym> repeats = c.value(1);
        if (repeats == null) {
            c.setShape(0, unknownDims(x.rank()));
            c.reason(0, "the repeats (input 1) are not known");
            return;
        }
        if (repeats.size() != x.rank()) throw new CannotInfer(repeats.size() + " repeats for rank " + x.rank());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) out.add(Dims.mul(Dims.plain(x.dim(i)), repeats.get(i).toDim()));
        c.setShape(0, out);
    }

    private static void range(Ctx c) {
        Double start = scalar(c, 0);
        Double limit = scalar(c, 1);
        Double delta = scalar(c, 2);
        if (start == null || limit == null || delta == null || delta == 0) {
            c.setShape(0, List.of(Dim.unknown()));
            return;
        }
        long n = (long) Math.max(Math.ceil((limit - start) / delta), 0);
        c.setShape(0, List.of(Dim.of(n)));
        if (c.outElem(0) != null && ShapeInference.isIntegral(c.outElem(0)) && n <= ShapeInference.VALUE_LIMIT) {
            List<Sym> v = new ArrayList<>();
            for (long i = 0; i < n; i++) v.add(Sym.of(start.longValue() + i * delta.longValue()));
            c.setValue(0, v);
        }
    }

    /** A scalar input read as a number: tracked integer contents, or a float constant. */
    private static Double scalar(Ctx c, int i) {
        long[] v = c.longs(i);
        if (v != null && v.length == 1) return (double) v[0];
        double[] f = floats(c, i);
        return f != null && f.length == 1 ? f[0] : null;
    }

    /** The contents of a small floating-point constant input (initializer or Constant node), or null. */
    static double[] floats(Ctx c, int i) {
        Value v = c.in(i);
        if (v == null) return null;
        Tensor t = v.initializer();
        Node p = v.producer();
        if (t == null && p != null && p.opType().equals("Constant") && p.domainName().isEmpty()) {
            Attribute a = p.attribute("value");
            if (a != null && a.kind() == Attribute.Kind.TENSOR && a.value() != null) t = a.asTensor();
            Attribute f = p.attribute("value_floats");
            if (f != null && f.value() != null) {
                float[] fs = f.asFloats();
                double[] out = new double[fs.length];
                for (int k = 0; k < fs.length; k++) out[k] = fs[k];
                return out;
            }
            Attribute one = p.attribute("value_float");
            if (one != null && one.value() != null) return new double[] {one.asFloat()};
        }
        if (t == null || t.data() == null || t.elementCount() > ShapeInference.VALUE_LIMIT || t.dataType() == null) return null;
        ByteBuffer b = t.bytes();
        int n = (int) t.elementCount();
        double[] out = new double[n];
        for (int k = 0; k < n; k++) {
            switch (t.dataType()) {
                case FLOAT -> out[k] = b.getFloat(k * 4);
                case DOUBLE -> out[k] = b.getDouble(k * 8);
                default -> {
                    return null;
                }
            }
        }
        return out;
    }

    private static void pad(Ctx c) {
        Shape x = c.shape(0);
        int r = x.rank();
        long[] pads;
        if (c.opset < 11) {
            pads = c.intsAttr("pads");
            if (pads == null) pads = c.intsAttr("paddings");
            if (pads == null) throw new CannotInfer("attribute 'pads' is missing");
        } else {
            pads = c.longs(1);
            if (pads == null) {
                c.setShape(0, unknownDims(r));
                c.reason(0, "the pads (input 1) are not known");
                return;
            }
        }
        long[] axes = c.has(3) ? c.requireLongs(3, "axes") : null;
        int n = axes == null ? r : axes.length;
        if (pads.length != 2 * n) throw new CannotInfer(pads.length + " pads for " + n + " axes");
        List<Dim> out = dims(x);
        for (int i = 0; i < n; i++) {
            int a = axes == null ? i : axis(axes[i], r, "axis");
            out.set(a, Dims.add(Dims.add(out.get(a), Dim.of(Math.max(0, pads[i]))), Dim.of(Math.max(0, pads[i + n]))));
            if (pads[i] < 0 || pads[i + n] < 0) {
                Dim d = x.dim(a);
                out.set(a, d.isKnown() ? Dims.ofValue(d.value() + pads[i] + pads[i + n]) : Dim.unknown());
            }
        }
        c.setShape(0, out);
    }

    private static void resize(Ctx c) {
        Shape x = c.shape(0);
        int r = x.rank();
        boolean upsample = c.node.opType().equals("Upsample");
        long[] sizes = null;
        double[] scales = null;
        if (upsample && c.opset < 9) {
            float[] f = c.attr("scales") == null ? null : c.attr("scales").asFloats();
            if (f != null) {
                scales = new double[f.length];
                for (int i = 0; i < f.length; i++) scales[i] = f[i];
            }
        } else if (upsample || c.opset < 11) {
            scales = floats(c, 1);
        } else {
            if (c.has(3)) sizes = c.longs(3);
            else if (c.has(2)) scales = floats(c, 2);
        }
        long[] axes = c.intsAttr("axes");
        List<Dim> out = dims(x);
        if (sizes != null) {
            int n = axes == null ? r : axes.length;
            if (sizes.length != n) throw new CannotInfer(sizes.length + " sizes for rank " + r);
            String policy = c.stringAttr("keep_aspect_ratio_policy", "stretch");
            if (!policy.equals("stretch")) throw new CannotInfer("keep_aspect_ratio_policy " + policy + " is not supported");
            for (int i = 0; i < n; i++) out.set(axes == null ? i : axis(axes[i], r, "axis"), Dims.ofValue(sizes[i]));
        } else if (scales != null) {
            int n = axes == null ? r : axes.length;
            if (scales.length != n) throw new CannotInfer(scales.length + " scales for rank " + r);
            for (int i = 0; i < n; i++) {
                int a = axes == null ? i : axis(axes[i], r, "axis");
                Dim d = x.dim(a);
                out.set(a, d.isKnown() ? Dim.of((long) Math.floor(d.value() * (float) scales[i])) : Dim.unknown());
            }
        } else {
            List<Dim> unknown = new ArrayList<>();
            for (int i = 0; i < r; i++) unknown.add(Dim.unknown());
            c.setShape(0, unknown);
            c.reason(0, "neither scales nor sizes are known");
            return;
        }
        c.setShape(0, out);
    }

    // ---- reductions ----

    private static void reduce(Ctx c) {
        Shape x = c.shape(0);
        boolean inputAxes = c.opset >= 18 || c.node.opType().equals("ReduceSum") && c.opset >= 13;
        long[] axes = inputAxes ? (c.has(1) ? c.requireLongs(1, "axes") : null) : c.intsAttr("axes");
        boolean keep = c.intAttr("keepdims", 1) != 0;
        boolean noop = c.intAttr("noop_with_empty_axes", 0) != 0;
        if ((axes == null || axes.length == 0) && noop) {
            c.setShape(0, dims(x));
            return;
        }
        boolean[] reduced = new boolean[x.rank()];
        if (axes == null || axes.length == 0) Arrays.fill(reduced, true);
        else for (long a : axes) reduced[axis(a, x.rank(), "axis")] = true;
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) {
            if (!reduced[i]) out.add(Dims.plain(x.dim(i)));
            else if (keep) out.add(Dims.ONE);
        }
        c.setShape(0, out);
    }

    private static void argReduce(Ctx c) {
        Shape x = c.shape(0);
        int axis = axis(c.intAttr("axis", 0), x.rank(), "axis");
        boolean keep = c.intAttr("keepdims", 1) != 0;
        List<Dim> out = dims(x);
        if (keep) out.set(axis, Dims.ONE);
        else out.remove(axis);
        c.setShape(0, out);
    }

    private static void topK(Ctx c) {
        Shape x = c.shape(0);
        int axis = axis(c.intAttr("axis", -1), x.rank(), "axis");
        Dim k;
        if (c.opset < 10) k = Dims.ofValue(c.intAttr("k", -1));
        else {
            List<Sym> kv = c.value(1);
            k = kv != null && kv.size() == 1 ? kv.get(0).toDim() : Dim.unknown();
        }
        List<Dim> out = dims(x);
        out.set(axis, k);
        c.setShape(0, out);
        c.setShape(1, out);
    }

    private static void einsum(Ctx c) {
        String eq = c.stringAttr("equation", null);
        if (eq == null) throw new CannotInfer("attribute 'equation' is missing");
        eq = eq.replace(" ", "");
        String[] sides = eq.split("->", -1);
        String[] terms = sides[0].split(",", -1);
        if (terms.length != c.inputs()) throw new CannotInfer("equation has " + terms.length + " operands for " + c.inputs() + " inputs");
        Map<Character, Dim> letters = new LinkedHashMap<>();
        Map<Character, Integer> counts = new TreeMap<>();
        List<Shape> ellipses = new ArrayList<>();
        for (int t = 0; t < terms.length; t++) {
            Shape s = c.shape(t);
            String term = terms[t];
            int dot = term.indexOf("...");
            int named = term.replace("...", "").length();
            int ellipsisRank = dot >= 0 ? s.rank() - named : 0;
            if (ellipsisRank < 0 || dot < 0 && named != s.rank())
                throw new CannotInfer("operand " + t + " '" + term + "' does not match rank " + s.rank());
            int d = 0;
            for (int i = 0; i < term.length(); i++) {
                char ch = term.charAt(i);
                if (ch == '.') {
                    if (term.startsWith("...", i)) {
                        ellipses.add(Shape.of(s.dims().subList(d, d + ellipsisRank)));
                        d += ellipsisRank;
                        i += 2;
                    }
                    continue;
                }
                Dim dim = s.dim(d++);
                counts.merge(ch, 1, Integer::sum);
                Dim prior = letters.get(ch);
                if (prior == null || !prior.isKnown() || Dims.isOne(prior)) letters.put(ch, Dims.plain(dim));
            }
        }
        List<Dim> ellipsis = ellipses.isEmpty() ? List.of() : broadcast(ellipses);
        List<Dim> out = new ArrayList<>();
        if (sides.length > 1) {
            String o = sides[1];
            for (int i = 0; i < o.length(); i++) {
                char ch = o.charAt(i);
                if (ch == '.') {
                    if (o.startsWith("...", i)) {
                        out.addAll(ellipsis);
                        i += 2;
                    }
                    continue;
                }
                Dim d = letters.get(ch);
                if (d == null) throw new CannotInfer("output label '" + ch + "' is not in any operand");
                out.add(d);
            }
        } else {
            out.addAll(ellipsis);
            for (Map.Entry<Character, Integer> e : counts.entrySet()) if (e.getValue() == 1) out.add(letters.get(e.getKey()));
        }
        c.setShape(0, out);
    }

    private static void nonZero(Ctx c) {
        Shape x = c.shape(0);
        c.setShape(0, List.of(Dim.of(x.rank()), Dim.unknown()));
    }

    private static void oneHot(Ctx c) {
        Shape idx = c.shape(0);
        Double depth = scalar(c, 1);
        int rank = idx.rank() + 1;
        int axis = axis(c.intAttr("axis", -1), rank, "axis");
        List<Dim> out = dims(idx);
        out.add(axis, depth == null ? Dim.unknown() : Dims.ofValue((long) (double) depth));
        c.setShape(0, out);
    }

    private static void depthToSpace(Ctx c) {
        Shape x = c.shape(0);
        if (x.rank() != 4) throw new CannotInfer("input must be 4-D, got " + x);
        long b = c.intAttr("blocksize", -1);
        Dim ch = x.dim(1);
        c.setShape(0, List.of(Dims.plain(x.dim(0)), ch.isKnown() ? Dim.of(ch.value() / (b * b)) : Dim.unknown(),
                Dims.mul(Dims.plain(x.dim(2)), Dim.of(b)), Dims.mul(Dims.plain(x.dim(3)), Dim.of(b))));
    }

    private static void spaceToDepth(Ctx c) {
        Shape x = c.shape(0);
        if (x.rank() != 4) throw new CannotInfer("input must be 4-D, got " + x);
        long b = c.intAttr("blocksize", -1);
        Dim h = x.dim(2);
        Dim w = x.dim(3);
        c.setShape(0, List.of(Dims.plain(x.dim(0)), Dims.mul(Dims.plain(x.dim(1)), Dim.of(b * b)),
                h.isKnown() ? Dim.of(h.value() / b) : Dim.unknown(), w.isKnown() ? Dim.of(w.value() / b) : Dim.unknown()));
    }

    private static void det(Ctx c) {
        Shape x = c.shape(0);
        c.setShape(0, dims(x).subList(0, x.rank() - 2));
    }

    // ---- control flow ----

    private static void ifRule(Ctx c) {
        Attribute thenA = c.attr("then_branch");
        Attribute elseA = c.attr("else_branch");
        if (thenA == null || elseA == null) throw new CannotInfer("a branch is missing");
        Graph then = thenA.asGraph();
        Graph otherwise = elseA.asGraph();
        c.subgraph(then, List.of());
        c.subgraph(otherwise, List.of());
        for (int i = 0; i < c.outputCount(); i++) {
            if (i >= then.outputs().size() || i >= otherwise.outputs().size()) break;
            Type merged = union(c.typeOf(then.outputs().get(i)), c.typeOf(otherwise.outputs().get(i)));
            if (merged != null) c.setType(i, merged);
        }
    }

    /** A type that holds values of both types: equal dims kept, others unknown; null if they disagree. */
    static Type union(Type a, Type b) {
        if (a == null || b == null) return null;
        if (a instanceof Type.Tensor ta && b instanceof Type.Tensor tb) {
            if (ta.elementType() != tb.elementType()) return null;
            if (ta.shape() == null || tb.shape() == null || ta.shape().rank() != tb.shape().rank())
                return new Type.Tensor(ta.elementType(), null);
            List<Dim> d = new ArrayList<>();
            for (int i = 0; i < ta.shape().rank(); i++)
                d.add(Dims.same(ta.shape().dim(i), tb.shape().dim(i)) ? Dims.plain(ta.shape().dim(i)) : Dim.unknown());
            return new Type.Tensor(ta.elementType(), Shape.of(d));
        }
        return a.equals(b) ? a : null;
    }

    private static void loop(Ctx c) {
        Attribute bodyA = c.attr("body");
        if (bodyA == null) throw new CannotInfer("attribute 'body' is missing");
        Graph body = bodyA.asGraph();
        int carried = c.inputs() - 2;
        List<Type> in = new ArrayList<>();
        in.add(new Type.Tensor(DataType.INT64, Shape.of()));
        in.add(new Type.Tensor(DataType.BOOL, Shape.of()));
        for (int i = 0; i < carried; i++) in.add(c.inType(i + 2));
        int[] mark = c.mark();
        c.subgraph(body, in);
        // A loop-carried value may change shape from one iteration to the next: keep what every iteration agrees on.
        boolean changed = false;
        List<Type> relaxed = new ArrayList<>(in);
        for (int i = 0; i < carried && i + 1 < body.outputs().size(); i++) {
            Type initial = c.inType(i + 2);
            Type u = union(initial, c.typeOf(body.outputs().get(i + 1)));
            if (u != null && !u.equals(initial)) {
                relaxed.set(i + 2, u);
                changed = true;
            }
        }
        if (changed) c.reinferSubgraph(body, relaxed, mark);
        for (int i = 0; i < c.outputCount(); i++) {
            if (!c.hasOutput(i) || i + 1 >= body.outputs().size()) continue;
            Type t = c.typeOf(body.outputs().get(i + 1));
            if (i < carried) {
                Type u = union(relaxed.get(i + 2), t);
                if (u != null) c.setType(i, u);
            } else if (t instanceof Type.Tensor tt) {
                // scan outputs stack one value per iteration
                List<Dim> d = new ArrayList<>();
                d.add(Dim.unknown());
                if (tt.shape() != null) d.addAll(dims(tt.shape()));
                c.setType(i, new Type.Tensor(tt.elementType(), tt.shape() == null ? null : Shape.of(d)));
            }
        }
    }

    // ---- com.microsoft transformer operators ----

    private static void attention(Ctx c) {
        Shape x = c.shape(0);
        if (x.rank() != 3) throw new CannotInfer("input must be [batch, sequence, hidden], got " + x);
        long[] qkv = c.intsAttr("qkv_hidden_sizes");
        Dim vHidden;
        if (qkv != null && qkv.length == 3) vHidden = Dim.of(qkv[2]);
        else {
            Shape w = c.shape(1);
            Dim d = w.dim(1);
            vHidden = d.isKnown() ? Dim.of(d.value() / 3) : Dim.unknown();
        }
        c.setShape(0, List.of(Dims.plain(x.dim(0)), Dims.plain(x.dim(1)), vHidden));
        if (c.hasOutput(1)) c.reason(1, "present state shape needs the past sequence length");
    }

    private static void multiHeadAttention(Ctx c) {
        Shape q = c.shape(0);
        long heads = c.intAttr("num_heads", -1);
        Dim vHidden;
        if (q.rank() == 5) {
            vHidden = Dims.mul(Dims.plain(q.dim(2)), Dims.plain(q.dim(4)));
        } else if (q.rank() == 3) {
            Shape v = c.shapeOrNull(2);
            Shape k = c.shapeOrNull(1);
            if (v != null && v.rank() == 3) vHidden = Dims.plain(v.dim(2));
            else if (v != null && v.rank() == 4) vHidden = Dims.mul(Dims.plain(v.dim(1)), Dims.plain(v.dim(3)));
            else if (k != null && k.rank() == 5) vHidden = Dims.mul(Dims.plain(k.dim(2)), Dims.plain(k.dim(4)));
            else vHidden = Dims.plain(q.dim(2));
        } else throw new CannotInfer("query must be 3-D or packed 5-D, got " + q);
        if (heads <= 0) throw new CannotInfer("attribute 'num_heads' is missing");
        c.setShape(0, List.of(Dims.plain(q.dim(0)), Dims.plain(q.dim(1)), vHidden));
        for (int i = 1; i < c.outputCount(); i++) if (c.hasOutput(i)) c.reason(i, "present state shape needs the past sequence length");
    }

    private static void groupQueryAttention(Ctx c) {
        Shape q = c.shape(0);
        if (q.rank() != 3) throw new CannotInfer("query must be [batch, sequence, hidden], got " + q);
        long heads = c.intAttr("num_heads", -1);
        long kvHeads = c.intAttr("kv_num_heads", -1);
        if (heads <= 0 || kvHeads <= 0) throw new CannotInfer("attributes 'num_heads' and 'kv_num_heads' are required");
        Dim hidden = Dims.plain(q.dim(2));
        Dim head = Dim.unknown();
        if (!c.has(1)) {
            // packed QKV: hidden = (num_heads + 2 kv_num_heads) * head_size
            if (hidden.isKnown()) {
                head = Dim.of(hidden.value() / (heads + 2 * kvHeads));
                hidden = Dim.of(head.value() * heads);
            } else hidden = Dim.unknown();
        } else if (hidden.isKnown()) head = Dim.of(hidden.value() / heads);
        c.setShape(0, List.of(Dims.plain(q.dim(0)), Dims.plain(q.dim(1)), hidden));
        for (int i = 1; i < 3; i++)
            if (c.hasOutput(i)) c.setShape(i, List.of(Dims.plain(q.dim(0)), Dim.of(kvHeads), Dim.unknown(), head));
    }

    private static void embedLayerNorm(Ctx c) {
        Shape ids = c.shape(0);
        Shape word = c.shape(2);
        if (ids.rank() != 2 || word.rank() != 2) throw new CannotInfer("expects input_ids [batch, sequence] and word_embedding [vocab, hidden]");
        List<Dim> out = List.of(Dims.plain(ids.dim(0)), Dims.plain(ids.dim(1)), Dims.plain(word.dim(1)));
        c.setShape(0, out);
        if (c.hasOutput(1)) {
            c.setShape(1, List.of(Dims.plain(ids.dim(0))));
            if (c.outElem(1) == null) c.setElem(1, DataType.INT32);
        }
        if (c.hasOutput(2)) c.setShape(2, out);
    }
}
