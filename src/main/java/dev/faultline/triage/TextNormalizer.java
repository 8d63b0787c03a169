package dev.faultline.triage;

import java.util.Locale;

/**
 * SQuAD-style answer normalisation: lower case, punctuation removed, the articles {@code a, an, the} removed,
 * whitespace collapsed (as in the official SQuAD v1.1 evaluation script).
 */
public final class TextNormalizer {

    private TextNormalizer() {}

    /** The normalised form of {@code text}; words are separated by single spaces. */
    public static String normalize(String text) {
        if (text == null) {
            return "";
        }
        String lower = text.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(lower.length());
        StringBuilder word = new StringBuilder();
        for (int i = 0; i <= lower.length(); i++) {
            char c = i < lower.length() ? lower.charAt(i) : ' ';
            if (Character.isWhitespace(c)) {
                flush(word, out);
            } else if (isPunctuation(c)) {
                // SQuAD drops punctuation without splitting the word ("don't" -> "dont")
                continue;
            } else {
                word.append(c);
            }
        }
        return out.toString();
    }

    private static void flush(StringBuilder word, StringBuilder out) {
        if (word.length() == 0) {
            return;
        }
        String w = word.toString();
        word.setLength(0);
        if (w.equals("a") || w.equals("an") || w.equals("the")) {
            return;
        }
        if (out.length() > 0) {
            out.append(' ');
        }
        out.append(w);
    }

    private static boolean isPunctuation(char c) {
        if (c < 0x80) {
            return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
        }
        int type = Character.getType(c);
        return type == Character.CONNECTOR_PUNCTUATION
                || type == Character.DASH_PUNCTUATION
                || type == Character.START_PUNCTUATION
                || type == Character.END_PUNCTUATION
                || type == Character.INITIAL_QUOTE_PUNCTUATION
                || type == Character.FINAL_QUOTE_PUNCTUATION
                || type == Character.OTHER_PUNCTUATION;
    }
}
