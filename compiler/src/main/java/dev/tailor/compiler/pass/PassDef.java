package dev.tailor.compiler.pass;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Declares a pass: the name used in pipelines and a one-line summary. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface PassDef {
    /** The pass's name in pipelines: lower case, digits and underscores. */
    String name();

    /** One line saying what the pass does. */
    String summary();
}
