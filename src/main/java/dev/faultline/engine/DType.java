package dev.faultline.engine;

import ai.djl.ndarray.types.DataType;

/**
 * Floating-point type the forward and backward passes compute in (weights are cast to it at load time). float32 is
 * the default, float64 the verification type; float16 halves the weights' memory and is meant for GPUs (libtorch
 * also runs it on the CPU, slowly). Whatever the compute type, relevance is read out as value ⊙ gradient in float64
 * and summed there. bfloat16 is refused: DJL 0.36's PyTorch engine aborts the whole process (a native
 * {@code terminate}) on any bfloat16 array, so BF16 checkpoints are widened on load instead.
 */
public enum DType {
    FLOAT32,
    FLOAT64,
    FLOAT16;

    /** Parses {@code float32} / {@code float64} / {@code float16} (case-insensitive). */
    public static DType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "fp32", "f32" -> FLOAT32;
            case "float64", "fp64", "f64", "double" -> FLOAT64;
            case "bfloat16", "bf16" ->
                throw new IllegalArgumentException("bfloat16 compute is not available: DJL 0.36's "
                        + "PyTorch engine aborts the process on bfloat16 arrays; use float16 (GPU) or float32");
            case "float16", "fp16", "f16", "half" -> FLOAT16;
            default -> throw new IllegalArgumentException("dtype must be float32, float64 or float16, got '" + s + "'");
        };
    }

    /** The lower-case name used in results and on the command line. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The DJL data type of this compute type. */
    public DataType dataType() {
        return switch (this) {
            case FLOAT32 -> DataType.FLOAT32;
            case FLOAT64 -> DataType.FLOAT64;
            case FLOAT16 -> DataType.FLOAT16;
        };
    }
}
