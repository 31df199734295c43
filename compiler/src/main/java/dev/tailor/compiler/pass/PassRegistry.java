package dev.tailor.compiler.pass;

import java.util.Collection;
import java.util.Collections;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The passes on the class path, found through {@link ServiceLoader}, by name. */
public final class PassRegistry {
    private final TreeMap<String, PassSpec> passes = new TreeMap<>();

    /** The registry of every pass the class loader can see. */
    public static PassRegistry load() {
        return load(Thread.currentThread().getContextClassLoader());
    }

    public static PassRegistry load(ClassLoader loader) {
        PassRegistry r = new PassRegistry();
        for (ServiceLoader.Provider<Pass> p : ServiceLoader.load(Pass.class, loader).stream().toList())
            r.register(p.type());
        return r;
    }

    /** A registry of exactly these passes (tests, embedding). */
    @SafeVarargs
    public static PassRegistry of(Class<? extends Pass>... types) {
        PassRegistry r = new PassRegistry();
        for (Class<? extends Pass> t : types) r.register(t);
        return r;
    }

    public void register(Class<? extends Pass> type) {
        PassSpec spec = new PassSpec(type);
        PassSpec prior = passes.putIfAbsent(spec.name(), spec);
        if (prior != null && prior.type() != type)
            throw new IllegalStateException("two passes are named '" + spec.name() + "': " + prior.type().getName()
                    + " and " + type.getName());
    }

    /** The pass called {@code name}, or null. */
    public PassSpec get(String name) {
        return passes.get(name);
    }

    /** All passes, sorted by name. */
    public Collection<PassSpec> all() {
        return Collections.unmodifiableCollection(passes.values());
    }

    Collection<String> names() {
        return passes.keySet();
    }
}
