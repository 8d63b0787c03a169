package dev.faultline.engine;

/**
 * Token ids of a text with each token's character span {@code [start, end)} in that text (special tokens that
 * have no characters get {@code start == end}) and whether it is a special token.
 */
public record TokenizedText(int[] ids, String[] tokens, int[] starts, int[] ends, boolean[] special) {

    public int size() {
        return ids.length;
    }
}
