package dev.tailor.cli;

import dev.tailor.compiler.pass.OptionSpec;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PassSpec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tailor passes}: every pass with its summary and options, read from the passes' own declarations. */
@Command(name = "passes", mixinStandardHelpOptions = true,
        description = "List the passes a pipeline can use, with their options.")
final class PassesCommand implements Callable<Integer> {

    @Option(names = "--json", description = "print JSON (stdout then holds only the JSON document)")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PassRegistry registry = PassRegistry.load();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Object> passes = new ArrayList<>();
            for (PassSpec p : registry.all()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", p.name());
                m.put("summary", p.summary());
                List<Object> options = new ArrayList<>();
                for (OptionSpec o : p.options()) {
                    Map<String, Object> om = new LinkedHashMap<>();
                    om.put("name", o.name());
                    om.put("type", o.kind().name().toLowerCase());
                    om.put("description", o.typeName());
                    om.put("default", o.defaultText());
                    om.put("doc", o.doc());
                    if (!o.choices().isEmpty()) om.put("choices", o.choices());
                    options.add(om);
                }
                m.put("options", options);
                passes.add(m);
            }
            out.print(JsonWriter.write(Map.of("passes", passes)));
        } else {
            for (PassSpec p : registry.all()) {
                out.printf("%-10s %s%n", p.name(), p.summary());
                for (OptionSpec o : p.options())
                    out.printf("    %s=%s  (%s) %s%n", o.name(), o.defaultText(), o.typeName(), o.doc());
            }
            out.println();
            out.println("Compose them with '|', e.g.: tailor compile MODEL -p \"fixpoint { identity | fold | cse | dce }\" -o OUT");
        }
        out.flush();
        return ExitCodes.OK;
    }
}
