package dev.faultline.engine;

/** The input has more tokens than the model's positions, the configured limit, or one pass's memory allows. */
public class InputTooLongException extends RuntimeException {

    private final int length;
    private final int limit;

    public InputTooLongException(int length, int limit) {
        this("input has " + length + " tokens, the limit is " + limit, length, limit);
    }

    /** An input refused for another reason than the count alone (e.g. the memory its pass would need). */
    public InputTooLongException(String message, int length, int limit) {
        super(message);
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
