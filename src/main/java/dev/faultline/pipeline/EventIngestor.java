package dev.faultline.pipeline;

/** Consumes {@code eval.outputs}: validates each record, scores valid events and sends invalid ones to the DLQ. */
public class EventIngestor {

    /** Topic of incoming evaluation events (key = run_id). */
    public static final String TOPIC = "eval.outputs";
    /** Dead-letter topic for records that cannot be processed, with the reason in headers. */
    public static final String DLQ_TOPIC = "eval.outputs.dlq";
}
