package dev.faultline.tracking;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.faultline.fleet.FleetRequest;

/**
 * The fleet request to re-attribute a tracked {@code failure} at {@code revision}, keyed by the failure's key so that
 * the revisions of one failure are done in order by one consumer.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"kind", "failure", "revision"})
public record RetrackRequest(TrackedFailure failure, Revision revision) implements FleetRequest {

    public static final String KIND = "retrack";

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
