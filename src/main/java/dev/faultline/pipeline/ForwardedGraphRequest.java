package dev.faultline.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.faultline.fleet.FleetRequest;

/**
 * The fleet request to build the attribution graph of {@code event_id} with the thresholds, which a pod that
 * attributes nothing forwards to the workers (see {@link ForwardedGraphJobs}); keyed by the event id.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"kind", "event_id", "node_threshold", "edge_mass"})
public record ForwardedGraphRequest(
        @JsonProperty("event_id") String eventId,
        @JsonProperty("node_threshold") Double nodeThreshold,
        @JsonProperty("edge_mass") Double edgeMass)
        implements FleetRequest {

    public static final String KIND = "graph";

    @Override
    @JsonProperty("kind")
    public String kind() {
        return KIND;
    }

    @Override
    @JsonIgnore
    public String key() {
        return eventId;
    }
}
