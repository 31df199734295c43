package dev.tailor.compiler.pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A parsed, type-checked pipeline: settings (such as the target) and steps. {@link #toString()} prints the
 * inline form, which parses back to an equal pipeline.
 */
public record Pipeline(Target target, List<Step> steps) {
    public Pipeline {
        steps = List.copyOf(steps);
    }

    /** One step: a pass with options, or a fixed-point group. */
    public sealed interface Step {}

    /** A pass with the options the pipeline set (converted to their types); others keep their defaults. */
    public record PassStep(PassSpec spec, Map<String, Object> options) implements Step {
        public PassStep {
            options = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(options));
        }

        public Pass instantiate() {
            return spec.instantiate(options);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PassStep p && p.spec.name().equals(spec.name()) && p.options.equals(options);
        }

        @Override
        public int hashCode() {
            return spec.name().hashCode() * 31 + options.hashCode();
        }

        @Override
        public String toString() {
            if (options.isEmpty()) return spec.name();
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, Object> e : options.entrySet())
                parts.add(e.getKey() + "=" + spec.option(e.getKey()).format(e.getValue()));
            return spec.name() + "(" + String.join(", ", parts) + ")";
        }
    }

    /** Steps repeated until none changes the model, at most {@code max} rounds. */
    public record FixpointStep(int max, List<Step> steps) implements Step {
        public static final int DEFAULT_MAX = 8;

        public FixpointStep {
            steps = List.copyOf(steps);
        }

        @Override
        public String toString() {
            return "fixpoint" + (max == DEFAULT_MAX ? "" : "(max=" + max + ")") + " { "
                    + steps.stream().map(Step::toString).collect(Collectors.joining(" | ")) + " }";
        }
    }

    @Override
    public String toString() {
        String body = steps.stream().map(Step::toString).collect(Collectors.joining(" | "));
        return target == Target.CPU ? body : "target=" + target.name().toLowerCase() + (body.isEmpty() ? "" : " | " + body);
    }
}
