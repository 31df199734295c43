package dev.tailor.compiler.pass;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A pass's declaration, read once from its annotations: name, summary and options with their defaults. */
public final class PassSpec {
    private final Class<? extends Pass> type;
    private final String name;
    private final String summary;
    private final Map<String, OptionSpec> options = new LinkedHashMap<>();

    PassSpec(Class<? extends Pass> type) {
        PassDef def = type.getAnnotation(PassDef.class);
        if (def == null) throw new IllegalArgumentException(type.getName() + " has no @PassDef");
        if (!def.name().matches("[a-z][a-z0-9_]*"))
            throw new IllegalArgumentException("pass name '" + def.name() + "' must be lower case, digits and _");
        this.type = type;
        this.name = def.name();
        this.summary = def.summary();
        Pass defaults = newInstance();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!f.isAnnotationPresent(Option.class)) continue;
                f.setAccessible(true);
                OptionSpec o;
                try {
                    o = new OptionSpec(f, f.get(defaults));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                if (options.put(o.name(), o) != null)
                    throw new IllegalArgumentException("pass " + name + " declares option " + o.name() + " twice");
            }
        }
    }

    public String name() {
        return name;
    }

    public String summary() {
        return summary;
    }

    public Class<? extends Pass> type() {
        return type;
    }

    /** Options in declaration order. */
    public List<OptionSpec> options() {
        return List.copyOf(options.values());
    }

    public OptionSpec option(String name) {
        return options.get(name);
    }

    /** A fresh pass with {@code values} (already converted, by option name) set over the defaults. */
    public Pass instantiate(Map<String, Object> values) {
        Pass p = newInstance();
        for (Map.Entry<String, Object> e : values.entrySet()) options.get(e.getKey()).set(p, e.getValue());
        return p;
    }

    private Pass newInstance() {
        try {
            Constructor<? extends Pass> c = type.getDeclaredConstructor();
            c.setAccessible(true);
            return c.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("pass " + type.getName() + " needs a no-argument constructor", e);
        }
    }

    List<String> optionNames() {
        return Collections.unmodifiableList(new ArrayList<>(options.keySet()));
    }
}
