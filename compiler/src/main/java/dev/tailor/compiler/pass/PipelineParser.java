package dev.tailor.compiler.pass;

import dev.tailor.grammar.PipelineLexer;
import dev.tailor.grammar.PipelineParser.ArgsContext;
import dev.tailor.grammar.PipelineParser.FixpointStepContext;
import dev.tailor.grammar.PipelineParser.ItemContext;
import dev.tailor.grammar.PipelineParser.OptionContext;
import dev.tailor.grammar.PipelineParser.PassStepContext;
import dev.tailor.grammar.PipelineParser.PipelineContext;
import dev.tailor.grammar.PipelineParser.StepContext;
import dev.tailor.grammar.PipelineParser.ValueContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Reads the pipeline language and checks every step against the registry before anything runs. Errors point at
 * line and column and suggest the nearest pass or option name.
 */
public final class PipelineParser {
    private final PassRegistry registry;

    public PipelineParser(PassRegistry registry) {
        this.registry = registry;
    }

    /** Parses {@code text}; {@code source} names it in errors ("pipeline" for inline text, or a file name). */
    public Pipeline parse(String text, String source) {
        PipelineLexer lexer = new PipelineLexer(CharStreams.fromString(text));
        dev.tailor.grammar.PipelineParser parser = new dev.tailor.grammar.PipelineParser(new CommonTokenStream(lexer));
        Errors errors = new Errors(source, text, parser);
        lexer.removeErrorListeners();
        parser.removeErrorListeners();
        parser.addErrorListener(errors);
        PipelineContext tree = parser.pipeline();
        return new Checker(source, text).pipeline(tree);
    }

    public Pipeline parse(String text) {
        return parse(text, "pipeline");
    }

    /** Stops at the first syntax error with a message in the language's own terms. */
    private static final class Errors extends BaseErrorListener {
        private final String source;
        private final String text;
        private final dev.tailor.grammar.PipelineParser parser;

        Errors(String source, String text, dev.tailor.grammar.PipelineParser parser) {
            this.source = source;
            this.text = text;
            this.parser = parser;
        }

        @Override
        public void syntaxError(Recognizer<?, ?> r, Object offending, int line, int col, String msg,
                                RecognitionException e) {
            Token t = offending instanceof Token tok ? tok : null;
            String found = t == null ? "this" : describe(t);
            IntervalSet expected = e != null && e.getExpectedTokens() != null ? e.getExpectedTokens()
                    : parser.getExpectedTokens();
            List<String> names = new ArrayList<>();
            for (int type : expected.toList()) {
                String n = tokenName(type);
                if (n != null && !names.contains(n)) names.add(n);
            }
            String problem = "unexpected " + found + (names.isEmpty() ? "" : "; expected " + join(names));
            throw new PipelineException(source, text, line, col, problem);
        }

        private static String describe(Token t) {
            return switch (t.getType()) {
                case Token.EOF -> "end of input";
                case PipelineLexer.NL -> "end of line";
                default -> "'" + t.getText() + "'";
            };
        }

        private static String tokenName(int type) {
            return switch (type) {
                case Token.EOF -> "end of input";
                case PipelineLexer.IDENT -> "a name";
                case PipelineLexer.INT -> "an integer";
                case PipelineLexer.FLOAT -> "a number";
                case PipelineLexer.STRING -> "a string";
                case PipelineLexer.NL -> null;
                case PipelineLexer.FIXPOINT -> "'fixpoint'";
                default -> {
                    String lit = PipelineLexer.VOCABULARY.getLiteralName(type);
                    yield lit == null ? null : lit;
                }
            };
        }

        private static String join(List<String> names) {
            if (names.size() == 1) return names.get(0);
            return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
        }
    }

    /** Checks names and option types, turning the parse tree into a {@link Pipeline}. */
    private final class Checker {
        private final String source;
        private final String text;

        Checker(String source, String text) {
            this.source = source;
            this.text = text;
        }

        Pipeline pipeline(PipelineContext tree) {
            Target target = Target.CPU;
            List<Pipeline.Step> steps = new ArrayList<>();
            for (ItemContext item : tree.item()) {
                if (item.setting() != null) {
                    Token name = item.setting().IDENT().getSymbol();
                    if (!steps.isEmpty()) throw error(name, "settings such as '" + name.getText()
                            + "' must come before the first pass");
                    if (!name.getText().equals("target"))
                        throw error(name, "unknown setting '" + name.getText() + "'"
                                + Names.suggestion(name.getText(), List.of("target")) + " (settings: target)");
                    String v = item.setting().value().getText();
                    try {
                        target = Target.valueOf(v.toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw error(item.setting().value().getStart(), "target must be cpu or cuda, got " + v);
                    }
                } else {
                    steps.add(step(item.step()));
                }
            }
            return new Pipeline(target, steps);
        }

        private Pipeline.Step step(StepContext ctx) {
            if (ctx instanceof FixpointStepContext f) {
                int max = Pipeline.FixpointStep.DEFAULT_MAX;
                if (f.args() != null) {
                    for (OptionContext o : f.args().option()) {
                        Token name = o.IDENT().getSymbol();
                        if (!name.getText().equals("max"))
                            throw error(name, "unknown option '" + name.getText() + "' for fixpoint"
                                    + Names.suggestion(name.getText(), List.of("max")) + " (options: max)");
                        PipelineValue v = value(o.value());
                        if (!(v instanceof PipelineValue.Number n) || !n.isInteger() || n.longValue() < 1
                                || n.longValue() > 1000)
                            throw error(o.value().getStart(), "option 'max' of fixpoint expects an integer in [1, 1000], got "
                                    + v.text());
                        max = (int) n.longValue();
                    }
                }
                List<Pipeline.Step> inner = new ArrayList<>();
                for (StepContext s : f.step()) inner.add(step(s));
                return new Pipeline.FixpointStep(max, inner);
            }
            PassStepContext p = (PassStepContext) ctx;
            Token name = p.IDENT().getSymbol();
            PassSpec spec = registry.get(name.getText());
            if (spec == null)
                throw error(name, "unknown pass '" + name.getText() + "'"
                        + Names.suggestion(name.getText(), registry.names())
                        + " (tailor passes lists them)");
            return new Pipeline.PassStep(spec, options(spec, p.args()));
        }

        private Map<String, Object> options(PassSpec spec, ArgsContext args) {
            Map<String, Object> values = new LinkedHashMap<>();
            if (args == null) return values;
            for (OptionContext o : args.option()) {
                Token name = o.IDENT().getSymbol();
                OptionSpec opt = spec.option(name.getText());
                if (opt == null) {
                    List<String> known = spec.optionNames();
                    throw error(name, "unknown option '" + name.getText() + "' for " + spec.name()
                            + Names.suggestion(name.getText(), known)
                            + (known.isEmpty() ? " (it has no options)" : " (options: " + String.join(", ", known) + ")"));
                }
                if (values.containsKey(opt.name()))
                    throw error(name, "option '" + opt.name() + "' is given twice");
                try {
                    values.put(opt.name(), opt.convert(value(o.value())));
                } catch (IllegalArgumentException e) {
                    throw error(o.value().getStart(), "option '" + opt.name() + "' of " + spec.name() + " "
                            + e.getMessage());
                }
            }
            return values;
        }

        private PipelineValue value(ValueContext v) {
            if (v instanceof dev.tailor.grammar.PipelineParser.IntValueContext i)
                return new PipelineValue.Number(i.INT().getText());
            if (v instanceof dev.tailor.grammar.PipelineParser.FloatValueContext f)
                return new PipelineValue.Number(f.FLOAT().getText());
            if (v instanceof dev.tailor.grammar.PipelineParser.RangeValueContext r) {
                int from = rangeBound(r.INT(0).getSymbol());
                int to = r.INT().size() > 1 ? rangeBound(r.INT(1).getSymbol()) : Integer.MAX_VALUE;
                if (from > to) throw error(r.getStart(), "range " + r.getText() + " is empty");
                return new PipelineValue.Range(from, to);
            }
            if (v instanceof dev.tailor.grammar.PipelineParser.WordValueContext w)
                return new PipelineValue.Word(w.IDENT().getText());
            if (v instanceof dev.tailor.grammar.PipelineParser.StringValueContext s)
                return new PipelineValue.Text(unquote(s.STRING().getText()));
            dev.tailor.grammar.PipelineParser.ListValueContext l = (dev.tailor.grammar.PipelineParser.ListValueContext) v;
            List<PipelineValue> items = new ArrayList<>();
            for (ValueContext item : l.value()) items.add(value(item));
            return new PipelineValue.ListValue(items);
        }

        private int rangeBound(Token t) {
            try {
                int i = Integer.parseInt(t.getText());
                if (i < 0) throw error(t, "range bounds must not be negative");
                return i;
            } catch (NumberFormatException e) {
                throw error(t, "range bound " + t.getText() + " is too large");
            }
        }

        private PipelineException error(Token at, String problem) {
            return new PipelineException(source, text, at.getLine(), at.getCharPositionInLine(), problem);
        }
    }

    private static String unquote(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() - 1) c = s.charAt(++i);
            b.append(c);
        }
        return b.toString();
    }
}
