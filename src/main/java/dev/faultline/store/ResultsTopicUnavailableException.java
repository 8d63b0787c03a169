package dev.faultline.store;

/**
 * The results topic did not hand over the record the {@link RunIndex} points at in time (broker down, slow or
 * unreachable): the result may well exist, so a reader answers "try again" rather than "no result".
 */
public class ResultsTopicUnavailableException extends RuntimeException {

    /** What an answer that reports this asks a client to wait before it tries again ({@code Retry-After}). */
    public static final int RETRY_AFTER_SECONDS = 5;

    public ResultsTopicUnavailableException(String message) {
        super(message);
    }
}
