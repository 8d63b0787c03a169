package dev.faultline.fleet;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One piece of work for any one worker of the fleet, as published on {@code attribution.requests}: a JSON object whose
 * {@code kind} names what it asks for and which {@link FleetRequestHandler} does it. Each kind is a record of the
 * package that does the work, serialized with {@code kind} first and its other fields after (null fields left out):
 * <ul>
 * <li>{@code retrack}: re-attribute a tracked {@code failure} at {@code revision} (key: the failure's key, so the
 * revisions of one failure are done in order by one consumer);</li>
 * <li>{@code graph}: build the attribution graph of {@code event_id} with the thresholds (key: the event id);</li>
 * <li>{@code track}: register {@code model} at {@code revision_name} (optional {@code step}) on a pod with the
 * checkpoints, which queues the re-attributions (key: the model).</li>
 * <li>{@code score}: score another model's {@code failure} on {@code model} at {@code revision_name}, with the same
 * text and the failure's wrong and contrast tokens in that model's tokenization (key: the failure's key).</li>
 * </ul>
 * The records inherit that JSON form from the annotations here; reading one back ignores {@code kind} (and any field
 * a newer pod adds).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"kind"})
public interface FleetRequest {

    /** What the request asks for: the {@code kind} field of its JSON. */
    @JsonProperty("kind")
    String kind();

    /** The record key on the topic. */
    @JsonIgnore
    String key();
}
