package dev.faultline.compare;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.fleet.FleetRequest;
import dev.faultline.tracking.TrackedFailure;

/**
 * The fleet request to score another model's {@code failure} on {@code model} at {@code revision_name} (see
 * {@link CrossScorer}); keyed by the failure's key.
 */
public record ScoreRequest(
        TrackedFailure failure,
        String model,
        @JsonProperty("revision_name") String revisionName) implements FleetRequest {

    public static final String KIND = "score";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String key() {
        return failure.key();
    }
}
