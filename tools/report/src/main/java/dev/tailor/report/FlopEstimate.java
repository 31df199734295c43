package dev.tailor.report;

import java.util.List;

/**
 * Estimated floating-point operations per token of a model, where a token is one sequence position.
 *
 * <p>The rule: only MatMul, MatMulInteger, Gemm, Conv and ONNX Runtime's DynamicQuantizeMatMul and
 * MatMulIntegerToFloat count (2 operations per multiply-add; element-wise ops,
 * norms and Softmax are left out). Each node's cost is {@code 2 × (elements of its output) × K}, K being the
 * reduced dimension (for Conv: input channels per group × kernel size), with shapes from {@code ShapeInference}.
 * Symbolic sizes are bound to batch 1 (the first dimension of each graph input) and {@code sequenceLength} (every
 * other symbolic size), and the total is divided by {@code sequenceLength}. Projections thus cost
 * {@code 2·K·N} per token; attention's activation-by-activation products grow with the sequence length, which is
 * why the length is part of the estimate. Nodes whose shapes are not known are listed in {@code unestimated}.
 */
public record FlopEstimate(long perToken, int counted, List<String> unestimated, int sequenceLength) {}
