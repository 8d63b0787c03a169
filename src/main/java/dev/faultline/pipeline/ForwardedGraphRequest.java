package dev.faultline.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.fleet.FleetRequest;

/**
 * The fleet request to build the attribution graph of {@code event_id} with the thresholds, which a pod that
 * attributes nothing forwards to the workers (see {@link ForwardedGraphJobs}); keyed by the event id.
 */
public record ForwardedGraphRequest(
        @JsonProperty("event_id") String eventId,
        @JsonProperty("node_threshold") Double nodeThreshold,
        @JsonProperty("edge_mass") Double edgeMass)
        implements FleetRequest {

    public static final String KIND = "graph";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String key() {
        return eventId;
    }
}
