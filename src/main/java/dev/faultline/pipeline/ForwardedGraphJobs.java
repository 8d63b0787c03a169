package dev.faultline.pipeline;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.engine.graph.GraphRequest;
import dev.faultline.fleet.FleetRequest;
import dev.faultline.fleet.FleetRequestHandler;
import dev.faultline.fleet.FleetRequests;
import dev.faultline.pipeline.GraphJob.Reason;
import dev.faultline.pipeline.GraphJob.Refused;
import dev.faultline.pipeline.GraphJob.Status;
import dev.faultline.store.GraphSlots;
import dev.faultline.store.ResultLookup;
import dev.faultline.store.ResultsTopicUnavailableException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jboss.logging.Logger;

/**
 * The fleet side of {@link GraphJobs}: a process that runs no attributions ({@code faultline.role=triage}) forwards a
 * graph job to the workers as a {@link ForwardedGraphRequest} on {@code attribution.requests} ({@link FleetRequests}),
 * and a worker runs it in its own queue ({@link LocalGraphJobs}). Forwarded jobs hold a fleet-wide slot in Redis
 * ({@link GraphSlots}) from the POST until the worker is done with them, at most {@code faultline.graph.max-queued} at
 * once; a cancelled forwarded job is skipped by its worker (or its graph dropped, if it had started) and frees its
 * slot. Without Redis a forwarded POST or DELETE is refused ({@link Reason#UNAVAILABLE}): a triage pod never learns
 * when a worker finishes, so it cannot count alone.
 */
@ApplicationScoped
public class ForwardedGraphJobs implements FleetRequestHandler {

    private static final Logger LOG = Logger.getLogger(ForwardedGraphJobs.class);

    @Inject
    LocalGraphJobs local;

    @Inject
    GraphStore store;

    @Inject
    ResultLookup lookup;

    @Inject
    FleetRequests requests;

    @Inject
    GraphConfig config;

    @Inject
    GraphSlots slots;

    /** Fails closed ({@link Reason#UNAVAILABLE}) when the fleet's slots in Redis cannot be read. */
    void checkSlots() {
        try {
            slots.count();
        } catch (RuntimeException e) {
            throw unavailable(e);
        }
    }

    /** Forwards the job to the workers once it holds one of the fleet's slots. */
    Status forward(String eventId, double nodeThreshold, double edgeMass) {
        GraphSlots.Taken taken;
        try {
            taken = slots.acquire(eventId, config.maxQueued(), config.slotLease());
        } catch (RuntimeException e) {
            throw unavailable(e);
        }
        if (taken == GraphSlots.Taken.FULL) {
            throw new Refused(
                    config.maxQueued() + " graph jobs are queued for the workers (faultline.graph.max-queued="
                            + config.maxQueued() + "): try again later",
                    Reason.QUEUE_FULL);
        }
        Status forwarded = new Status(eventId, "queued", GraphJob.FORWARDED, 0, nodeThreshold, edgeMass, null);
        if (taken == GraphSlots.Taken.HELD) {
            Status known = store.storedStatus(eventId);
            return known != null && known.active() ? known : forwarded;
        }
        store.putStatus(forwarded);
        try {
            requests.send(new ForwardedGraphRequest(eventId, nodeThreshold, edgeMass))
                    .toCompletableFuture()
                    .join();
        } catch (RuntimeException e) {
            releaseSlot(eventId);
            throw e;
        }
        return forwarded;
    }

    /**
     * Cancels a forwarded job still queued for the workers (from any pod), given this process's own job of the event
     * ({@code null} when none).
     *
     * @return the job's status, now {@code cancelled}
     * @throws Refused NOT_FOUND when no pod has a job for the event, CONFLICT when it is running or done,
     *         UNAVAILABLE when a forwarded job's slot cannot be reached in Redis
     */
    Status cancel(String eventId, Status current) {
        Status stored = null;
        try {
            stored = store.readStatus(eventId);
            if (stored != null && stored.state().equals("queued") && slots.cancel(eventId, config.slotLease())) {
                Status cancelled = new Status(
                        eventId, "cancelled", "cancelled", 0, stored.nodeThreshold(), stored.edgeMass(), null);
                if (current != null) {
                    local.remember(cancelled); // a forwarded job this worker has taken but not started
                }
                store.putStatus(cancelled);
                return cancelled;
            }
        } catch (RuntimeException e) {
            if (current == null) {
                throw unavailable(e);
            }
            LOG.warnf("graph status of %s not read: %s", eventId, e.getMessage()); // this process's job answers
        }
        Status known = current != null ? current : stored;
        if (known == null) {
            throw new Refused("no graph job for event '" + eventId + "'", Reason.NOT_FOUND);
        }
        throw new Refused(
                "the graph job of event '" + eventId + "' is " + known.state() + ": only a queued job can be cancelled",
                Reason.CONFLICT);
    }

    private static Refused unavailable(RuntimeException e) {
        LOG.warnf("graph slots in Redis unavailable: %s", e.getMessage());
        return new Refused("the fleet's graph-job slots (Redis) are unavailable: try again later", Reason.UNAVAILABLE);
    }

    @Override
    public Map<String, Class<? extends FleetRequest>> kinds() {
        return Map.of(ForwardedGraphRequest.KIND, ForwardedGraphRequest.class);
    }

    /** A forwarded graph request: {@link #runForwarded}. */
    @Override
    public CompletionStage<Void> handle(FleetRequest request) {
        ForwardedGraphRequest r = (ForwardedGraphRequest) request;
        return runForwarded(r.eventId(), r.nodeThreshold(), r.edgeMass());
    }

    /**
     * Runs a job forwarded by another pod on this worker; completes when the graph is stored (or the job failed, its
     * status saying why, or was cancelled), and frees the job's fleet slot then.
     */
    public CompletionStage<Void> runForwarded(String eventId, double nodeThreshold, double edgeMass) {
        if (cancelledForwarded(eventId, nodeThreshold, edgeMass)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done;
        try {
            done = startForwarded(eventId, nodeThreshold, edgeMass).toCompletableFuture();
        } catch (RuntimeException e) {
            releaseSlot(eventId);
            throw e;
        }
        return done.whenComplete((v, e) -> releaseSlot(eventId));
    }

    private CompletionStage<Void> startForwarded(String eventId, double nodeThreshold, double edgeMass) {
        Optional<AttributionResult> found;
        try {
            found = lookup.find(eventId).map(ResultLookup.Found::result);
        } catch (ResultsTopicUnavailableException e) {
            // the result may exist: the status says so, and the caller may post the job again
            store.putStatus(new Status(eventId, "failed", "failed", 0, nodeThreshold, edgeMass, e.getMessage()));
            return CompletableFuture.completedFuture(null);
        }
        if (found.isEmpty()
                || found.get().status() != AttributionStatus.ATTRIBUTED
                || found.get().tokens() == null
                || found.get().target() == null) {
            store.putStatus(new Status(
                    eventId,
                    "failed",
                    "failed",
                    0,
                    nodeThreshold,
                    edgeMass,
                    "no attributed result for event '" + eventId + "' on this worker"));
            return CompletableFuture.completedFuture(null);
        }
        AttributionResult r = found.get();
        String key = GraphStore.key(r, nodeThreshold, edgeMass);
        if (store.linkCached(eventId, key)) {
            store.putStatus(new Status(eventId, "done", "done", 1.0, nodeThreshold, edgeMass, null));
            return CompletableFuture.completedFuture(null);
        }
        GraphRequest request = LocalGraphJobs.request(r, nodeThreshold, edgeMass);
        Status queued = new Status(eventId, "queued", "queued", 0, nodeThreshold, edgeMass, null);
        local.remember(queued);
        store.putStatus(queued);
        return local.runLater(eventId, r, request, key, () -> cancelledForwarded(eventId, nodeThreshold, edgeMass));
    }

    /**
     * Whether a forwarded job was cancelled since it was sent; if so its status says {@code cancelled}. Without Redis
     * the job counts as not cancelled (it runs; its slot lapses after {@code faultline.graph.slot-lease}).
     */
    private boolean cancelledForwarded(String eventId, double nodeThreshold, double edgeMass) {
        boolean cancelled;
        try {
            cancelled = slots.cancelled(eventId);
        } catch (RuntimeException e) {
            LOG.warnf("cancellation of the graph job of %s not read: %s", eventId, e.getMessage());
            return false;
        }
        if (cancelled) {
            Status s = new Status(eventId, "cancelled", "cancelled", 0, nodeThreshold, edgeMass, null);
            local.remember(s);
            store.putStatus(s);
        }
        return cancelled;
    }

    private void releaseSlot(String eventId) {
        try {
            slots.release(eventId);
        } catch (RuntimeException e) {
            LOG.warnf("graph slot of %s not freed (it lapses after its lease): %s", eventId, e.getMessage());
        }
    }
}
