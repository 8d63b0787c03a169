package dev.faultline.engine;

/**
 * How relevance passes the attention softmax: {@code ATTNLRP} (gradient x input, which absorbs some relevance) or
 * {@code DETACH} (attention weights are constants, so relevance conserves exactly: sum of input + bias = logit diff).
 */
public enum SoftmaxRule {
    ATTNLRP,
    DETACH;

    /** Parses {@code attnlrp} / {@code detach} (also {@code cp}). */
    public static SoftmaxRule parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "attnlrp" -> ATTNLRP;
            case "detach", "cp" -> DETACH;
            default -> throw new IllegalArgumentException("softmax must be attnlrp or detach, got '" + s + "'");
        };
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
