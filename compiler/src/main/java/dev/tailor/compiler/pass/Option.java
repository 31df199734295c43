package dev.tailor.compiler.pass;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a field of a pass as an option. The field's type gives the option's type ({@code int}, {@code long},
 * {@code double}, {@code float}, {@code boolean}, {@code String}, an enum, {@link IntRange}, or a {@code List} of
 * strings, enums or integers, declared with {@link #element()}); its initial value is the default.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Option {
    /** The option's name in pipelines; defaults to the field name in snake_case. */
    String name() default "";

    /** What the option means, for help and docs. */
    String doc();

    /** Smallest allowed value of a numeric option. */
    double min() default Double.NEGATIVE_INFINITY;

    /** Largest allowed value of a numeric option. */
    double max() default Double.POSITIVE_INFINITY;

    /** Element type of a list option. */
    Class<?> element() default String.class;
}
