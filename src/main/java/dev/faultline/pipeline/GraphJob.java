package dev.faultline.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a graph job reports ({@link Status}) and why one is refused ({@link Refused}); shared by this process's
 * queue ({@link LocalGraphJobs}), the fleet side ({@link ForwardedGraphJobs}) and the REST API ({@link GraphJobs}).
 */
public final class GraphJob {

    /** Phase of a job queued for the workers by a triage pod. */
    public static final String FORWARDED = "forwarded";

    private GraphJob() {}

    /** Where an event's graph job stands; {@code progress} in [0, 1]. */
    public record Status(
            @JsonProperty("event_id") String eventId,
            String state,
            String phase,
            double progress,
            @JsonProperty("node_threshold") double nodeThreshold,
            @JsonProperty("edge_mass") double edgeMass,
            String error) {

        /** Whether the job is queued or running (a new start finds it instead of starting another). */
        boolean active() {
            return state.equals("queued") || state.equals("running");
        }
    }

    /** Why a graph job is refused. */
    public enum Reason {
        /** No result for the event yet. */
        NOT_FOUND,
        /** The result has another status than ATTRIBUTED, or the job cannot be cancelled in its state. */
        CONFLICT,
        /** {@code faultline.graph.max-queued} jobs are waiting (here, or forwarded in the fleet). */
        QUEUE_FULL,
        /** The fleet's slots in Redis cannot be read or written. */
        UNAVAILABLE
    }

    /** A graph job refused: the {@link Reason} and a readable message. */
    public static final class Refused extends RuntimeException {
        private final Reason reason;

        Refused(String message, Reason reason) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }
}
