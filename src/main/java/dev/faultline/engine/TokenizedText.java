package dev.faultline.engine;

/**
 * Token ids of a text with each token's character span {@code [start, end)} in that text and whether it is a special
 * token. The spans tile the text in token order: {@code text.substring(start, end)} over all tokens concatenates to
 * the text, and a token with no characters of its own (a BOS the template added, the later bytes of a character
 * split across byte-level tokens) gets {@code start == end}.
 */
public record TokenizedText(int[] ids, String[] tokens, int[] starts, int[] ends, boolean[] special) {

    public int size() {
        return ids.length;
    }
}
