package dev.faultline.replay;

import dev.faultline.contract.EvalOutput;

/** Where replayed events go: a Kafka topic, a running service's {@code POST /api/events}, or standard output. */
public interface EventSink extends AutoCloseable {

    /**
     * Sends one event (its JSON already written); failures of asynchronous sends are reported by {@link #failures()}
     * after {@link #flush()}.
     *
     * @throws SinkUnavailableException when the destination cannot be reached at all (replay stops)
     */
    void send(EvalOutput event, String json);

    /** Waits until every event sent so far is acknowledged. */
    void flush();

    /** Events the destination refused or lost, with the first reason. */
    Failures failures();

    /** A description for the summary, e.g. {@code kafka 127.0.0.1:9092 topic eval.outputs}. */
    String describe();

    @Override
    void close();

    /** Count of failed sends and the first reason. */
    record Failures(int count, String firstReason) {}

    /** The destination cannot be reached. */
    final class SinkUnavailableException extends RuntimeException {

        public SinkUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
