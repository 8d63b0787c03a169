package dev.faultline.tracking;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.fleet.FleetRequest;

/**
 * The fleet request to register {@code model} at {@code revision_name} (optional {@code step}) on a pod with the
 * checkpoints, which queues the re-attributions; keyed by the model.
 */
public record TrackRequest(
        String model, @JsonProperty("revision_name") String revisionName, Long step) implements FleetRequest {

    public static final String KIND = "track";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String key() {
        return model;
    }
}
