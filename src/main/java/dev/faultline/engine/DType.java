package dev.faultline.engine;

/** Floating-point type the forward and backward passes compute in (weights are cast to it at load time). */
public enum DType {
    FLOAT32, FLOAT64;

    /** Parses {@code float32} / {@code float64} (case-insensitive). */
    public static DType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "fp32", "f32" -> FLOAT32;
            case "float64", "fp64", "f64", "double" -> FLOAT64;
            default -> throw new IllegalArgumentException("dtype must be float32 or float64, got '" + s + "'");
        };
    }

    /** The lower-case name used in results and on the command line. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
