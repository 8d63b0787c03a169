package dev.faultline.engine;

/** Propagation method: the AttnLRP rules, or plain gradient x input (rules off) as a baseline. */
public enum Method {
    ATTNLRP,
    GRADXINPUT;

    /** Parses {@code attnlrp} / {@code gradxinput}. */
    public static Method parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "attnlrp" -> ATTNLRP;
            case "gradxinput", "gradient", "gxi" -> GRADXINPUT;
            default -> throw new IllegalArgumentException("method must be attnlrp or gradxinput, got '" + s + "'");
        };
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
