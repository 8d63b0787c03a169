package dev.faultline.pipeline;

/**
 * Why an incoming event was rejected: a short {@code reason} code (the DLQ metric label), the {@code field} at fault
 * (a JSON path such as {@code $.model.name}, or {@code $} for the whole event) and a readable message naming it.
 */
public class InvalidEventException extends Exception {

    /** Not JSON, or not one JSON value. */
    public static final String INVALID_JSON = "invalid_json";
    /** Valid JSON that breaks the JSON Schema of the contract. */
    public static final String SCHEMA = "schema";
    /** A field (or the whole event) over a configured size limit. */
    public static final String OVERSIZE = "oversize";

    private final String reason;
    private final String field;

    public InvalidEventException(String reason, String field, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.field = field;
    }

    public String reason() {
        return reason;
    }

    public String field() {
        return field;
    }
}
