package dev.faultline.fleet;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.tracking.Revision;
import dev.faultline.tracking.TrackedFailure;

/**
 * One piece of work for any one worker of the fleet, as published on {@code attribution.requests}:
 * <ul>
 * <li>{@code retrack}: re-attribute a tracked {@code failure} at {@code revision} (key: the failure's key, so the
 * revisions of one failure are done in order by one consumer);</li>
 * <li>{@code graph}: build the attribution graph of {@code event_id} with the thresholds (key: the event id);</li>
 * <li>{@code track}: register {@code model} at {@code revision_name} (optional {@code step}) on a pod with the
 * checkpoints, which queues the re-attributions (key: the model).</li>
 * <li>{@code score}: score another model's {@code failure} on {@code model} at {@code revision_name}, with the same
 * text and the failure's wrong and contrast tokens in that model's tokenization (key: the failure's key).</li>
 * </ul>
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FleetRequest(
        Kind kind,
        TrackedFailure failure,
        Revision revision,
        @JsonProperty("event_id") String eventId,
        @JsonProperty("node_threshold") Double nodeThreshold,
        @JsonProperty("edge_mass") Double edgeMass,
        String model,
        @JsonProperty("revision_name") String revisionName,
        Long step) {

    /** What the request asks for. */
    public enum Kind {
        @JsonProperty("retrack")
        RETRACK,
        @JsonProperty("graph")
        GRAPH,
        @JsonProperty("track")
        TRACK,
        @JsonProperty("score")
        SCORE
    }

    public static FleetRequest retrack(TrackedFailure failure, Revision revision) {
        return new FleetRequest(Kind.RETRACK, failure, revision, null, null, null, null, null, null);
    }

    public static FleetRequest graph(String eventId, double nodeThreshold, double edgeMass) {
        return new FleetRequest(Kind.GRAPH, null, null, eventId, nodeThreshold, edgeMass, null, null, null);
    }

    public static FleetRequest track(String model, String revision, Long step) {
        return new FleetRequest(Kind.TRACK, null, null, null, null, null, model, revision, step);
    }

    public static FleetRequest score(TrackedFailure failure, String targetModel, String targetRevision) {
        return new FleetRequest(Kind.SCORE, failure, null, null, null, null, targetModel, targetRevision, null);
    }

    /** The record key on the topic. */
    public String key() {
        return switch (kind) {
            case RETRACK, SCORE -> failure.key();
            case GRAPH -> eventId;
            case TRACK -> model;
        };
    }
}
