package dev.tailor.compiler.text;

import dev.tailor.onnx.proto.OnnxProto.AttributeProto;
import dev.tailor.onnx.proto.OnnxProto.FunctionProto;
import dev.tailor.onnx.proto.OnnxProto.GraphProto;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import dev.tailor.onnx.proto.OnnxProto.NodeProto;
import dev.tailor.onnx.proto.OnnxProto.SparseTensorProto;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import dev.tailor.onnx.proto.OnnxProto.ValueInfoProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.antlr.v4.runtime.Token;

/**
 * Checks, before the model is handed to the IR, that every name a node or graph output uses is defined in its
 * graph or an enclosing one, and that nothing is defined twice: the same rules the IR's importer applies, but
 * reported at the line and column of the offending name.
 */
final class NameCheck {
    record NodePos(Token start, List<Token> inputs, List<Token> outputs) {}

    record FunctionPos(Token name, List<Token> inputs, List<Token> outputs) {}

    private record Def(String what, Token at) {}

    private static final class Scope {
        final Scope parent;
        final Map<String, Def> names = new HashMap<>();

        Scope(Scope parent) {
            this.parent = parent;
        }

        Def resolve(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Def d = s.names.get(name);
                if (d != null) return d;
            }
            return null;
        }
    }

    private final Source src;
    private final Map<Object, Object> positions;

    NameCheck(Source src, Map<Object, Object> positions) {
        this.src = src;
        this.positions = positions;
    }

    void model(ModelProto m) {
        for (FunctionProto f : m.getFunctionsList()) function(f);
        if (m.hasGraph()) graph(m.getGraph(), null);
    }

    private void graph(GraphProto g, Scope parent) {
        Token here = positions.get(g) instanceof Token t ? t : null;
        Scope scope = new Scope(parent);
        Set<String> claimable = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            define(scope, t.getName(), "initializer", at(t, here));
            claimable.add(t.getName());
        }
        for (SparseTensorProto s : g.getSparseInitializerList()) {
            define(scope, s.getValues().getName(), "sparse initializer", here);
            claimable.add(s.getValues().getName());
        }
        for (ValueInfoProto vi : g.getInputList()) {
            if (claimable.remove(vi.getName())) continue; // an input with an initializer as its default
            define(scope, vi.getName(), "graph input", at(vi, here));
        }
        nodes(g.getNodeList(), scope, here);
        for (ValueInfoProto vi : g.getOutputList()) {
            if (scope.resolve(vi.getName()) == null)
                throw error(at(vi, here), "graph output '" + vi.getName()
                        + "' is not computed by any node, graph input or initializer");
        }
    }

    private void function(FunctionProto f) {
        FunctionPos pos = positions.get(f) instanceof FunctionPos p ? p : null;
        Token here = pos != null ? pos.name() : null;
        Scope scope = new Scope(null);
        for (int i = 0; i < f.getInputCount(); i++)
            define(scope, f.getInput(i), "function input",
                    pos != null && i < pos.inputs().size() ? pos.inputs().get(i) : here);
        nodes(f.getNodeList(), scope, here);
        for (int i = 0; i < f.getOutputCount(); i++) {
            if (scope.resolve(f.getOutput(i)) == null)
                throw error(pos != null && i < pos.outputs().size() ? pos.outputs().get(i) : here, "function output '"
                        + f.getOutput(i) + "' is not computed by any node or input of function '" + f.getName() + "'");
        }
    }

    private void nodes(List<NodeProto> nodes, Scope scope, Token here) {
        for (NodeProto n : nodes) {
            NodePos pos = positions.get(n) instanceof NodePos p ? p : null;
            for (int k = 0; k < n.getOutputCount(); k++) {
                String o = n.getOutput(k);
                if (o.isEmpty()) continue;
                Token at = pos == null ? here : k < pos.outputs().size() ? pos.outputs().get(k) : pos.start();
                define(scope, o, "output of " + describe(n), at);
            }
        }
        for (NodeProto n : nodes) {
            NodePos pos = positions.get(n) instanceof NodePos p ? p : null;
            for (int k = 0; k < n.getInputCount(); k++) {
                String in = n.getInput(k);
                if (in.isEmpty() || scope.resolve(in) != null) continue;
                Token at = pos == null ? here : k < pos.inputs().size() ? pos.inputs().get(k) : pos.start();
                throw error(at, "'" + in + "' is not defined: no node, graph input or initializer computes it");
            }
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasRefAttrName()) continue;
                if (a.hasG()) graph(a.getG(), scope);
                for (GraphProto g : a.getGraphsList()) graph(g, scope);
            }
        }
    }

    private void define(Scope scope, String name, String what, Token at) {
        if (name.isEmpty()) throw error(at, "a " + what + " has an empty name");
        Def prior = scope.names.putIfAbsent(name, new Def(what, at));
        if (prior != null)
            throw error(at, "'" + name + "' is defined twice: first as " + prior.what()
                    + (prior.at() != null ? " (line " + prior.at().getLine() + ")" : "") + ", again as " + what);
    }

    private Token at(Object message, Token fallback) {
        return positions.get(message) instanceof Token t ? t : fallback;
    }

    private TextSyntaxException error(Token at, String problem) {
        return at == null ? src.atEnd(problem) : src.error(at, problem);
    }

    private static String describe(NodeProto n) {
        String op = (n.getDomain().isEmpty() ? "" : n.getDomain() + ".") + n.getOpType();
        return n.getName().isEmpty() ? op : "node '" + n.getName() + "' (" + op + ")";
    }
}
