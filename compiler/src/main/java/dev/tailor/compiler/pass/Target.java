package dev.tailor.compiler.pass;

/** The device a pipeline compiles for; passes may choose layouts or quantization formats by it. */
public enum Target {
    CPU, CUDA
}
