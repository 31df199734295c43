package dev.tailor.compiler.anatomy;

import dev.tailor.compiler.ir.Node;

/**
 * An embedding that feeds a residual stream.
 *
 * @param kind     {@code token} (the largest table looked up by a graph input), {@code segment} (another table
 *                 looked up by a graph input, such as BERT's token types), {@code position} (a table looked up by
 *                 computed positions, or a constant added to the stream), {@code patch} (a convolution over an
 *                 image), {@code cls} (a constant token concatenated to the sequence)
 * @param table    the weight
 * @param indices  the graph input that indexes the table, or null
 * @param bias     a bias added with the table (a patch convolution's bias), or null
 * @param node     the node that reads the table
 */
public record Embedding(String kind, Param table, Param bias, String indices, Node node) {
    @Override
    public String toString() {
        return kind + " " + table;
    }
}
