package dev.faultline.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Channels;
import dev.faultline.channels.Topics;
import dev.faultline.pipeline.GraphJobs;
import dev.faultline.pipeline.ModelUnavailableException;
import dev.faultline.tracking.FailureTracker;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Work done once per fleet: {@link FleetRequest}s go to {@value Topics#ATTRIBUTION_REQUESTS}, which the workers read in one consumer group
 * ({@code faultline-requests}), so each request is done by one worker whatever the number of workers (and whichever
 * pod received the trigger: a triage pod forwards graph and track requests here instead of failing them). A request is
 * acknowledged once done, so a worker that dies mid-request leaves it to the next owner of its partition. Requests
 * are done one at a time per worker, behind live attributions (re-attributions wait for an idle engine, see
 * {@link dev.faultline.tracking.RetrackQueue}).
 */
@ApplicationScoped
public class FleetRequests {

    private static final Logger LOG = Logger.getLogger(FleetRequests.class);

    @Inject
    @Channel(Channels.ATTRIBUTION_REQUESTS_OUT)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<FleetRequest> emitter;

    @Inject
    ObjectMapper json;

    @Inject
    FailureTracker tracker;

    @Inject
    GraphJobs graphs;

    @Inject
    dev.faultline.compare.CrossScorer scorer;

    /** Publishes a request; completes once the broker has it. */
    public CompletionStage<Void> send(FleetRequest request) {
        return emitter.sendMessage(Message.of(request)
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                                .withKey(request.key())
                                .build()))
                .subscribeAsCompletionStage();
    }

    @Incoming(Channels.ATTRIBUTION_REQUESTS_IN)
    @Blocking
    public CompletionStage<Void> onRequest(String payload) {
        return handle(payload);
    }

    /**
     * Does one request (the connector's consumer calls it; tests hand records to it the same way); completes when it
     * is done or failed for good (a failure is logged: requests are not retried from the topic).
     */
    public CompletionStage<Void> handle(String payload) {
        FleetRequest r;
        try {
            r = json.readValue(payload, FleetRequest.class);
        } catch (Exception e) {
            LOG.warnf("unreadable request skipped: %s", e.getMessage());
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<?> done;
        try {
            done = switch (r.kind()) {
                case RETRACK -> tracker.execute(r.failure(), r.revision());
                case GRAPH -> graphs.runForwarded(r.eventId(), r.nodeThreshold(), r.edgeMass());
                case SCORE ->
                    scorer.execute(r.failure(), new dev.faultline.compare.ModelRev(r.model(), r.revisionName()));
                case TRACK -> {
                    tracker.track(r.model(), r.revisionName(), r.step());
                    yield CompletableFuture.completedFuture(null);
                }
            };
        } catch (ModelUnavailableException e) {
            LOG.warnf("request %s %s dropped: %s", r.kind(), r.key(), e.getMessage());
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            LOG.warnf(e, "request %s %s failed", r.kind(), r.key());
            return CompletableFuture.completedFuture(null);
        }
        return done.handle((v, e) -> {
            if (e != null) {
                LOG.warnf("request %s %s failed: %s", r.kind(), r.key(), e.getMessage());
            }
            return (Void) null;
        });
    }
}
