package dev.faultline.tracking;

import dev.faultline.fleet.FleetRequests;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;

/**
 * Fans re-attributions of tracked failures out to the fleet: each (failure, revision) whose point is missing is
 * claimed in Redis ({@link TrackingStore#claimRetrack}, so concurrent triggers queue it once) and sent to
 * {@code attribution.requests}, where one worker takes it ({@link FailureTracker#execute}). Called by
 * {@link FailureTracker} under its lock.
 */
@ApplicationScoped
public class RetrackScheduler {

    private static final Logger LOG = Logger.getLogger(RetrackScheduler.class);

    @Inject
    TrackingConfig config;

    @Inject
    TrackingStore store;

    @Inject
    FleetRequests requests;

    /** Queues {@code f} at every revision in {@code revs} newer than its own. */
    void scheduleNewer(TrackedFailure f, Map<String, Revision> revs) {
        Revision own = revs.get(f.revision());
        if (own == null) {
            return;
        }
        Sends sends = new Sends();
        revs.values().stream()
                .filter(r -> Revision.ORDER.compare(r, own) > 0)
                .sorted(Revision.ORDER)
                .forEach(r -> sends.add(submit(f, r)));
        sends.await();
    }

    /**
     * Queues every tracked failure of {@code model} older than {@code rev} at {@code rev} ({@code revs}: the model's
     * known revisions by name); returns how many were queued.
     */
    int scheduleRevision(String model, String rev, Map<String, Revision> revs) {
        Revision target = revs.get(rev);
        if (target == null) {
            return 0;
        }
        Sends sends = new Sends();
        for (String benchmark : store.benchmarks(model)) {
            for (TrackedFailure f : store.tracked(model, benchmark)) {
                Revision own = revs.get(f.revision());
                if (own != null && Revision.ORDER.compare(target, own) > 0) {
                    sends.add(submit(f, target));
                }
            }
        }
        sends.await();
        int n = sends.queued;
        if (n > 0) {
            LOG.infof("queued the re-attribution of %d tracked failures of %s at %s", n, model, rev);
        }
        return n;
    }

    /**
     * Queues (failure, revision) for the fleet unless its point exists or another trigger queued it already; null when
     * not queued, else the send (a failed send frees the claim).
     */
    CompletableFuture<Void> submit(TrackedFailure f, Revision r) {
        if (!config.enabled()
                || store.hasPoint(f, r.name())
                || !store.claimRetrack(f, r.name(), config.claimTtl().toSeconds())) {
            return null;
        }
        return requests.send(new RetrackRequest(f, r)).toCompletableFuture().exceptionally(e -> {
            LOG.warnf("re-attribution of %s at %s not queued: %s", f.key(), r.name(), e.getMessage());
            store.releaseRetrack(f, r.name());
            return null;
        });
    }

    /**
     * The sends of one trigger: at most {@value #IN_FLIGHT} wait for the broker at a time, so that a revision of a large
     * tracked set does not overflow the emitter's buffer.
     */
    private static final class Sends {
        private static final int IN_FLIGHT = 1024;
        private final List<CompletableFuture<Void>> pending = new ArrayList<>();
        int queued;

        void add(CompletableFuture<Void> send) {
            if (send == null) {
                return;
            }
            queued++;
            pending.add(send);
            if (pending.size() >= IN_FLIGHT) {
                await();
            }
        }

        void await() {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
            pending.clear();
        }
    }
}
