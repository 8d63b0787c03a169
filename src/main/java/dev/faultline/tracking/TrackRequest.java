package dev.faultline.tracking;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.faultline.fleet.FleetRequest;

/**
 * The fleet request to register {@code model} at {@code revision_name} (optional {@code step}) on a pod with the
 * checkpoints, which queues the re-attributions; keyed by the model.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"kind", "model", "revision_name", "step"})
public record TrackRequest(
        String model, @JsonProperty("revision_name") String revisionName, Long step) implements FleetRequest {

    public static final String KIND = "track";

    @Override
    @JsonProperty("kind")
    public String kind() {
        return KIND;
    }

    @Override
    @JsonIgnore
    public String key() {
        return model;
    }
}
