package dev.faultline.fleet;

import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Does the {@link FleetRequest}s of some kinds on a worker. {@link FleetRequests} finds every bean of this type, reads
 * each request's JSON into the record its handler names for its {@code kind}, and hands it over.
 */
public interface FleetRequestHandler {

    /** The kinds this handler does, each with the record its JSON is read into. */
    Map<String, Class<? extends FleetRequest>> kinds();

    /**
     * Starts one request of one of {@link #kinds()}; the stage completes when it is done or failed. An exception that
     * is a {@link DropsRequest} drops the request with its message; any other fails it.
     */
    CompletionStage<?> handle(FleetRequest request);
}
