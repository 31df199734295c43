package dev.tailor.passes.quantize;

import dev.tailor.compiler.ir.Value;

/** One way of quantizing a {@link Site}: writes the replacement next to it and returns the value that replaces the site's output. */
interface Scheme {
    /** Emits the quantized computation of {@code site} (the float one stays until the rewrite is committed). */
    Value emit(Site site, Rewriter rw);

    /** How this scheme quantizes, for the report, e.g. {@code int8 per-channel symmetric, DynamicQuantizeMatMul}. */
    String describe();
}
