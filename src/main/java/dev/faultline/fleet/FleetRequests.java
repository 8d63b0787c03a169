package dev.faultline.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Channels;
import dev.faultline.channels.Topics;
import io.quarkus.arc.All;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * are done one at a time per worker, behind live attributions (re-attributions wait for an idle engine in the
 * tracking package's queue). What a request does is up to the {@link FleetRequestHandler} of its kind.
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
    @All
    List<FleetRequestHandler> handlers;

    /** A kind's record type and handler. */
    private record Route(Class<? extends FleetRequest> type, FleetRequestHandler handler) {}

    private volatile Map<String, Route> routes;

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
        FleetRequestHandler handler;
        try {
            JsonNode tree = json.readTree(payload);
            String kind = tree.path("kind").asText();
            Route route = routes().get(kind);
            if (route == null) {
                throw new IllegalArgumentException("unknown request kind '" + kind + "'");
            }
            r = json.treeToValue(tree, route.type());
            handler = route.handler();
        } catch (Exception e) {
            LOG.warnf("unreadable request skipped: %s", e.getMessage());
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<?> done;
        try {
            done = handler.handle(r);
        } catch (RuntimeException e) {
            if (e instanceof DropsRequest) {
                LOG.warnf("request %s %s dropped: %s", r.kind(), r.key(), e.getMessage());
            } else {
                LOG.warnf(e, "request %s %s failed", r.kind(), r.key());
            }
            return CompletableFuture.completedFuture(null);
        }
        return done.handle((v, e) -> {
            if (e != null) {
                LOG.warnf("request %s %s failed: %s", r.kind(), r.key(), e.getMessage());
            }
            return (Void) null;
        });
    }

    /** Each kind the handlers name, with its record type and handler; a kind named twice is a programming error. */
    private Map<String, Route> routes() {
        Map<String, Route> m = routes;
        if (m == null) {
            m = new HashMap<>();
            for (FleetRequestHandler h : handlers) {
                for (Map.Entry<String, Class<? extends FleetRequest>> e :
                        h.kinds().entrySet()) {
                    Route before = m.put(e.getKey(), new Route(e.getValue(), h));
                    if (before != null) {
                        throw new IllegalStateException("two handlers for request kind '" + e.getKey() + "'");
                    }
                }
            }
            routes = m = Map.copyOf(m);
        }
        return m;
    }
}
