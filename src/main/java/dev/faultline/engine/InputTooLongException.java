package dev.faultline.engine;

/** The input has more tokens than the model's positions (or the configured limit). */
public class InputTooLongException extends RuntimeException {

    private final int length;
    private final int limit;

    public InputTooLongException(int length, int limit) {
        super("input has " + length + " tokens, the limit is " + limit);
        this.length = length;
        this.limit = limit;
    }

    public int length() {
        return length;
    }

    public int limit() {
        return limit;
    }
}
