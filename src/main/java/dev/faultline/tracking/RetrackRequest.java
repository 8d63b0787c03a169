package dev.faultline.tracking;

import dev.faultline.fleet.FleetRequest;

/**
 * The fleet request to re-attribute a tracked {@code failure} at {@code revision}, keyed by the failure's key so that
 * the revisions of one failure are done in order by one consumer.
 */
public record RetrackRequest(TrackedFailure failure, Revision revision) implements FleetRequest {

    public static final String KIND = "retrack";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String key() {
        return failure.key();
    }
}
