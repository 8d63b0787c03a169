package dev.faultline.pipeline;

import dev.faultline.channels.Topics;
import dev.faultline.config.FaultlineConfig;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.engine.graph.GraphRequest;
import dev.faultline.pipeline.GraphJob.Reason;
import dev.faultline.pipeline.GraphJob.Refused;
import dev.faultline.pipeline.GraphJob.Status;
import dev.faultline.store.ResultLookup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;

/**
 * Attribution-graph jobs on request, as the REST API sees them. A process that attributes runs them in its own queue
 * ({@link LocalGraphJobs}); one that runs no attributions ({@code faultline.role=triage}) forwards them to the workers
 * ({@link ForwardedGraphJobs}). A finished graph is cached in Redis ({@link GraphStore}) and published on
 * {@value Topics#ATTRIBUTION_GRAPHS}; the job's status is kept in Redis as well, so any pod answers the status poll.
 */
@ApplicationScoped
public class GraphJobs {

    /** Phase of a job queued for the workers by a triage pod ({@link GraphJob#FORWARDED}). */
    public static final String FORWARDED = GraphJob.FORWARDED;

    @Inject
    ResultLookup lookup;

    @Inject
    FaultlineConfig faultline;

    @Inject
    GraphStore store;

    @Inject
    LocalGraphJobs local;

    @Inject
    ForwardedGraphJobs forwarded;

    /** Starts (or finds) the graph job of an attributed event. */
    public Status start(String eventId, double nodeThreshold, double edgeMass) {
        boolean attributes = faultline.role().attributes();
        if (!attributes) {
            forwarded.checkSlots(); // fail closed before the result lookup, which answers "not found" without Redis
        }
        AttributionResult r = lookup.find(eventId)
                .map(ResultLookup.Found::result)
                .orElseThrow(() -> new Refused("no result for event '" + eventId + "' yet", Reason.NOT_FOUND));
        if (r.status() != AttributionStatus.ATTRIBUTED || r.tokens() == null || r.target() == null) {
            throw new Refused(
                    "event '" + eventId + "' has status " + r.status() + ": only ATTRIBUTED results have a graph",
                    Reason.CONFLICT);
        }
        GraphRequest request = LocalGraphJobs.request(r, nodeThreshold, edgeMass); // validates the thresholds
        String key = GraphStore.key(r, nodeThreshold, edgeMass);
        Status current = local.job(eventId);
        if (current != null && current.active()) {
            return current;
        }
        if (store.linkCached(eventId, key)) {
            Status done = new Status(eventId, "done", "done", 1.0, nodeThreshold, edgeMass, null);
            local.remember(done);
            return done;
        }
        if (!attributes) {
            return forwarded.forward(eventId, nodeThreshold, edgeMass);
        }
        return local.queue(eventId, r, request, key);
    }

    /**
     * Cancels a job waiting in this process's queue, or a forwarded job still queued for the workers (from any pod).
     *
     * @return the job's status, now {@code cancelled}
     * @throws Refused NOT_FOUND when no pod has a job for the event, CONFLICT when it is running or done,
     *         UNAVAILABLE when a forwarded job's slot cannot be reached in Redis
     */
    public Status cancel(String eventId) {
        return local.cancel(eventId).orElseGet(() -> forwarded.cancel(eventId, local.job(eventId)));
    }

    /** Jobs waiting in this process's queue (not counting the one running). */
    public int queued() {
        return local.queued();
    }

    /** The graph JSON of an event, once computed. */
    public Optional<String> graph(String eventId) {
        return store.graph(eventId);
    }

    /**
     * The job's status: this process's job, else the one stored in Redis (a job forwarded to or run by another pod),
     * else "done" when only the cached graph is known.
     */
    public Optional<Status> status(String eventId) {
        Status s = local.job(eventId);
        if (s == null) {
            s = store.storedStatus(eventId);
        }
        if (s == null && graph(eventId).isPresent()) {
            s = new Status(eventId, "done", "done", 1.0, Double.NaN, Double.NaN, null);
        }
        return Optional.ofNullable(s);
    }
}
