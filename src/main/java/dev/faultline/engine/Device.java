package dev.faultline.engine;

import java.util.Locale;

/** Where a model's weights live and its passes run: the CPU, or the first GPU libtorch sees. */
public enum Device {
    CPU,
    GPU;

    /** Parses {@code cpu} / {@code gpu} (also {@code cuda}), case-insensitive. */
    public static Device parse(String s) {
        String d = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        return switch (d) {
            case "cpu" -> CPU;
            case "gpu", "cuda" -> GPU;
            default -> throw new IllegalArgumentException("device must be cpu or gpu, got '" + s + "'");
        };
    }

    /** The lower-case name used in results and on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
