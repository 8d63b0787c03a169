package dev.faultline.api.ui;

/** Shows model tokens so that whitespace is visible (the page escapes them; these helpers never add markup). */
public final class Tokens {

    private Tokens() {}

    /** A token with spaces, tabs and line breaks drawn as visible symbols, for pairs and top-k lists. */
    public static String visible(String text) {
        if (text == null) {
            return "";
        }
        if (text.isEmpty()) {
            return "∅";
        }
        return text.replace(' ', '␣').replace("\t", "⇥").replace("\r", "␍").replace("\n", "↵");
    }

    /** Heatmap text: spaces kept (the cell is white-space: pre-wrap), line breaks drawn as ↵ then broken by CSS. */
    public static String visibleBreaks(String text) {
        if (text == null || text.isEmpty()) {
            return "∅";
        }
        return text.replace("\t", "⇥").replace("\r", "␍").replace("\n", "↵");
    }

    /** A token in quotes with visible whitespace, for hover titles. */
    public static String quoted(String text) {
        return "“" + visible(text) + "”";
    }
}
