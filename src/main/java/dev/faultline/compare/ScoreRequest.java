package dev.faultline.compare;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.faultline.fleet.FleetRequest;
import dev.faultline.tracking.TrackedFailure;

/**
 * The fleet request to score another model's {@code failure} on {@code model} at {@code revision_name} (see
 * {@link CrossScorer}); keyed by the failure's key.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"kind", "failure", "model", "revision_name"})
public record ScoreRequest(
        TrackedFailure failure,
        String model,
        @JsonProperty("revision_name") String revisionName) implements FleetRequest {

    public static final String KIND = "score";

    @Override
    @JsonProperty("kind")
    public String kind() {
        return KIND;
    }

    @Override
    @JsonIgnore
    public String key() {
        return failure.key();
    }
}
