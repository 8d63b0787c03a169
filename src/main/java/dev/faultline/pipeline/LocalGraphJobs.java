package dev.faultline.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Channels;
import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionResult;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.graph.AttributionGraph;
import dev.faultline.engine.graph.AttributionGraphs;
import dev.faultline.engine.graph.GraphRequest;
import dev.faultline.pipeline.GraphJob.Reason;
import dev.faultline.pipeline.GraphJob.Refused;
import dev.faultline.pipeline.GraphJob.Status;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * This process's graph jobs: one at a time on their own thread, whose every step (one backward pass) runs on the
 * engine's single worker between live attributions (low priority, see {@link AttributionGraphs}). A finished graph is
 * stored in Redis ({@link GraphStore}) and published on {@value Topics#ATTRIBUTION_GRAPHS}, key event id. At most
 * {@code faultline.graph.max-queued} jobs wait in the queue ({@link Refused} beyond); a waiting job can be cancelled.
 */
@ApplicationScoped
public class LocalGraphJobs {

    private static final Logger LOG = Logger.getLogger(LocalGraphJobs.class);

    @Inject
    ModelRegistry registry;

    @Inject
    AttributionEngine engine;

    @Inject
    ObjectMapper json;

    @Inject
    GraphConfig config;

    @Inject
    GraphStore store;

    @Inject
    @Channel(Channels.ATTRIBUTION_GRAPHS_OUT)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 256)
    MutinyEmitter<String> emitter;

    private final Map<String, Status> jobs = new ConcurrentHashMap<>();
    /** Event ids of the jobs waiting in the queue (a job leaves it when it starts or is cancelled). */
    private final Map<String, Boolean> waiting = new ConcurrentHashMap<>();

    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "faultline-graph");
        t.setDaemon(true);
        return t;
    });

    /** This process's job of an event, or null. */
    Status job(String eventId) {
        return jobs.get(eventId);
    }

    /** Records this process's job of an event. */
    void remember(Status s) {
        jobs.put(s.eventId(), s);
    }

    /**
     * Queues a job; its graph goes to {@code key}.
     *
     * @throws Refused QUEUE_FULL when {@code faultline.graph.max-queued} jobs are waiting
     */
    Status queue(String eventId, AttributionResult r, GraphRequest request, String key) {
        synchronized (waiting) {
            if (waiting.size() >= config.maxQueued()) {
                throw new Refused(
                        waiting.size() + " graph jobs are queued (faultline.graph.max-queued=" + config.maxQueued()
                                + "): try again later",
                        Reason.QUEUE_FULL);
            }
            Status queued =
                    new Status(eventId, "queued", "queued", 0, request.nodeThreshold(), request.edgeMass(), null);
            jobs.put(eventId, queued);
            waiting.put(eventId, Boolean.TRUE);
            runner.submit(() -> {
                if (waiting.remove(eventId) != null) { // else cancelled while it waited
                    run(eventId, r, request, key, () -> false);
                }
            });
            return queued;
        }
    }

    /** Cancels a job waiting in the queue: its status, now {@code cancelled}; empty when none is waiting. */
    Optional<Status> cancel(String eventId) {
        synchronized (waiting) {
            if (waiting.remove(eventId) == null) {
                return Optional.empty();
            }
            Status current = jobs.get(eventId);
            Status cancelled =
                    new Status(eventId, "cancelled", "cancelled", 0, current.nodeThreshold(), current.edgeMass(), null);
            jobs.put(eventId, cancelled);
            store.putStatus(cancelled);
            return Optional.of(cancelled);
        }
    }

    /** Runs a job on the graph thread, unless {@code cancelled} says so before it starts. */
    CompletableFuture<Void> runLater(
            String eventId, AttributionResult r, GraphRequest request, String key, BooleanSupplier cancelled) {
        return CompletableFuture.runAsync(
                () -> {
                    if (!cancelled.getAsBoolean()) {
                        run(eventId, r, request, key, cancelled);
                    }
                },
                runner);
    }

    /** Builds and stores the graph; a job that {@code cancelled} says was cancelled while it ran drops it. */
    private void run(String eventId, AttributionResult r, GraphRequest request, String key, BooleanSupplier cancelled) {
        double nt = request.nodeThreshold();
        double em = request.edgeMass();
        jobs.put(eventId, new Status(eventId, "running", "starting", 0, nt, em, null));
        try (ModelRegistry.Lease lease =
                registry.lease(r.model().name(), r.model().revision())) {
            LanguageModel model = lease.model();
            store.putStatus(new Status(eventId, "running", "running", 0, nt, em, null));
            AttributionGraph graph = AttributionGraphs.build(
                    engine,
                    model,
                    request,
                    p -> jobs.put(
                            eventId,
                            new Status(eventId, "running", p.phase(), Math.min(p.fraction(), 0.999), nt, em, null)));
            if (cancelled.getAsBoolean()) {
                return; // cancelled while it ran: the graph is dropped
            }
            String payload = json.writeValueAsString(graph);
            store.put(eventId, key, payload);
            emitter.sendMessage(Message.of(payload)
                            .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                                    .withKey(eventId)
                                    .build()))
                    .subscribeAsCompletionStage()
                    .toCompletableFuture()
                    .join();
            Status done = new Status(eventId, "done", "done", 1.0, nt, em, null);
            jobs.put(eventId, done);
            store.putStatus(done);
        } catch (Exception e) {
            LOG.warnf(e, "graph of %s failed", eventId);
            Status failed = new Status(
                    eventId, "failed", "failed", 0, nt, em, e.getClass().getSimpleName() + ": " + e.getMessage());
            jobs.put(eventId, failed);
            store.putStatus(failed);
        }
    }

    /** Jobs waiting in the queue (not counting the one running). */
    int queued() {
        return waiting.size();
    }

    /** The engine's request for the graph of an attributed result; throws IllegalArgumentException on bad thresholds. */
    static GraphRequest request(AttributionResult r, double nodeThreshold, double edgeMass) {
        int[] ids = r.tokens().stream().mapToInt(AttributionResult.Token::id).toArray();
        AttributionResult.Engine e = r.engine();
        Method method = e == null || e.rules() == null ? Method.ATTNLRP : Method.parse(e.rules());
        SoftmaxRule softmax = e == null || e.softmax() == null ? SoftmaxRule.ATTNLRP : SoftmaxRule.parse(e.softmax());
        return new GraphRequest(
                ids,
                r.target().position(),
                r.target().wrong().id(),
                r.target().contrast().id(),
                method,
                softmax,
                nodeThreshold,
                edgeMass,
                0,
                GraphRequest.DEFAULT_MEMORY_BUDGET);
    }

    @PreDestroy
    void stop() {
        runner.shutdownNow();
    }
}
