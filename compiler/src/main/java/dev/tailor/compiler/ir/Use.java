package dev.tailor.compiler.ir;

/** One use of a value: input {@code index} of {@code node}. */
public record Use(Node node, int index) {}
