package dev.faultline.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Channels;
import dev.faultline.channels.Topics;
import dev.faultline.config.FaultlineConfig;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.graph.AttributionGraph;
import dev.faultline.engine.graph.AttributionGraphs;
import dev.faultline.engine.graph.GraphRequest;
import dev.faultline.store.CacheConfig;
import dev.faultline.store.CacheKeys;
import dev.faultline.store.ResultLookup;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
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
 * Attribution-graph jobs on request: one at a time on their own thread, whose every step (one backward pass)
 * runs on the engine's single worker between live attributions (low priority, see {@link AttributionGraphs}). A
 * finished graph is cached in Redis at {@code faultline:graph:<content key>} (the attribution's content key plus the
 * thresholds; {@code faultline:graph-event:<event_id>} links the event) and published on {@value Topics#ATTRIBUTION_GRAPHS}, key event id.
 * A process that runs no attributions ({@code faultline.role=triage}) forwards the job to the workers
 * ({@link ForwardedGraphJobs}); the job's status is kept in Redis at {@code faultline:graph-status:<event_id>} (TTL
 * of the result cache) as well, so any pod answers the status poll. At most {@code faultline.graph.max-queued} jobs
 * wait in this process's queue ({@link Refused} beyond); a queued job can be cancelled.
 */
@ApplicationScoped
public class GraphJobs {

    public static final String GRAPH_PREFIX = "faultline:graph:";
    public static final String EVENT_PREFIX = "faultline:graph-event:";
    public static final String STATUS_PREFIX = "faultline:graph-status:";
    /** Phase of a job queued for the workers by a triage pod. */
    public static final String FORWARDED = "forwarded";

    private static final Logger LOG = Logger.getLogger(GraphJobs.class);

    /** Where an event's graph job stands; {@code progress} in [0, 1]. */
    public record Status(
            @JsonProperty("event_id") String eventId,
            String state,
            String phase,
            double progress,
            @JsonProperty("node_threshold") double nodeThreshold,
            @JsonProperty("edge_mass") double edgeMass,
            String error) {}

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

        public boolean notFound() {
            return reason == Reason.NOT_FOUND;
        }
    }

    @Inject
    ResultLookup lookup;

    @Inject
    ModelRegistry registry;

    @Inject
    AttributionEngine engine;

    @Inject
    ObjectMapper json;

    @Inject
    CacheConfig cacheConfig;

    @Inject
    FaultlineConfig faultline;

    @Inject
    GraphConfig config;

    @Inject
    ForwardedGraphJobs forwarded;

    @Inject
    @Channel(Channels.ATTRIBUTION_GRAPHS_OUT)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 256)
    MutinyEmitter<String> emitter;

    private final ValueCommands<String, String> redis;
    private final Map<String, Status> jobs = new ConcurrentHashMap<>();
    /** Event ids of the jobs waiting in this process's queue (a job leaves it when it starts or is cancelled). */
    private final Map<String, Boolean> waiting = new ConcurrentHashMap<>();

    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "faultline-graph");
        t.setDaemon(true);
        return t;
    });

    @Inject
    public GraphJobs(RedisDataSource redis) {
        this.redis = redis.value(String.class, String.class);
    }

    /** Starts (or finds) the graph job of an attributed event. */
    public Status start(String eventId, double nodeThreshold, double edgeMass) {
        if (!faultline.role().attributes()) {
            forwarded.checkSlots(); // fail closed before the result lookup, which answers "not found" without Redis
        }
        AttributionResult r = lookup.find(eventId)
                .map(ResultLookup.Found::result)
                .orElseThrow(() -> new Refused("no result for event '" + eventId + "' yet", Reason.NOT_FOUND));
        if (r.status() != AttributionStatus.ATTRIBUTED || r.tokens() == null || r.target() == null) {
            throw new Refused(
                    "event '" + eventId + "' has status " + r.status() + ": only ATTRIBUTED results have a " + "graph",
                    Reason.CONFLICT);
        }
        GraphRequest request = request(r, nodeThreshold, edgeMass); // validates the thresholds
        String key = GRAPH_PREFIX + graphKey(r, nodeThreshold, edgeMass);
        Status current = jobs.get(eventId);
        if (current != null
                && (current.state().equals("queued") || current.state().equals("running"))) {
            return current;
        }
        if (linkCached(eventId, key)) {
            Status done = new Status(eventId, "done", "done", 1.0, nodeThreshold, edgeMass, null);
            jobs.put(eventId, done);
            return done;
        }
        if (!faultline.role().attributes()) {
            return forwarded.forward(eventId, nodeThreshold, edgeMass);
        }
        synchronized (waiting) {
            if (waiting.size() >= config.maxQueued()) {
                throw new Refused(
                        waiting.size() + " graph jobs are queued (faultline.graph.max-queued=" + config.maxQueued()
                                + "): try again later",
                        Reason.QUEUE_FULL);
            }
            Status queued = new Status(eventId, "queued", "queued", 0, nodeThreshold, edgeMass, null);
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

    /**
     * Cancels a job waiting in this process's queue, or a forwarded job still queued for the workers (from any pod).
     *
     * @return the job's status, now {@code cancelled}
     * @throws Refused NOT_FOUND when no pod has a job for the event, CONFLICT when it is running or done,
     *         UNAVAILABLE when a forwarded job's slot cannot be reached in Redis
     */
    public Status cancel(String eventId) {
        Status current;
        synchronized (waiting) {
            current = jobs.get(eventId);
            if (waiting.remove(eventId) != null) {
                Status cancelled = new Status(
                        eventId, "cancelled", "cancelled", 0, current.nodeThreshold(), current.edgeMass(), null);
                jobs.put(eventId, cancelled);
                putStatus(cancelled);
                return cancelled;
            }
        }
        return forwarded.cancel(eventId, current);
    }

    /** Runs a job on this process's graph thread, unless {@code cancelled} says so before it starts. */
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
            putStatus(new Status(eventId, "running", "running", 0, nt, em, null));
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
            redis.setex(key, ttl(), payload);
            redis.setex(EVENT_PREFIX + eventId, ttl(), key);
            emitter.sendMessage(Message.of(payload)
                            .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                                    .withKey(eventId)
                                    .build()))
                    .subscribeAsCompletionStage()
                    .toCompletableFuture()
                    .join();
            Status done = new Status(eventId, "done", "done", 1.0, nt, em, null);
            jobs.put(eventId, done);
            putStatus(done);
        } catch (Exception e) {
            LOG.warnf(e, "graph of %s failed", eventId);
            Status failed = new Status(
                    eventId, "failed", "failed", 0, nt, em, e.getClass().getSimpleName() + ": " + e.getMessage());
            jobs.put(eventId, failed);
            putStatus(failed);
        }
    }

    /** Jobs waiting in this process's queue (not counting the one running). */
    public int queued() {
        return waiting.size();
    }

    /** The graph JSON of an event, once computed. */
    public Optional<String> graph(String eventId) {
        String key = redis.get(EVENT_PREFIX + eventId);
        return Optional.ofNullable(key == null ? null : redis.get(key));
    }

    /**
     * The job's status: this process's job, else the one stored in Redis (a job forwarded to or run by another pod),
     * else "done" when only the cached graph is known.
     */
    public Optional<Status> status(String eventId) {
        Status s = jobs.get(eventId);
        if (s == null) {
            s = storedStatus(eventId);
        }
        if (s == null && graph(eventId).isPresent()) {
            s = new Status(eventId, "done", "done", 1.0, Double.NaN, Double.NaN, null);
        }
        return Optional.ofNullable(s);
    }

    /** Whether the graph at {@code key} is cached; if so the event is linked to it. */
    boolean linkCached(String eventId, String key) {
        if (redis.get(key) == null) {
            return false;
        }
        redis.setex(EVENT_PREFIX + eventId, ttl(), key);
        return true;
    }

    /** Records this process's job of an event. */
    void remember(Status s) {
        jobs.put(s.eventId(), s);
    }

    void putStatus(Status s) {
        try {
            redis.setex(STATUS_PREFIX + s.eventId(), ttl(), json.writeValueAsString(s));
        } catch (Exception e) {
            LOG.warnf("graph status of %s not stored: %s", s.eventId(), e.getMessage());
        }
    }

    Status storedStatus(String eventId) {
        try {
            return readStatus(eventId);
        } catch (RuntimeException e) {
            LOG.warnf("graph status of %s not read: %s", eventId, e.getMessage());
            return null;
        }
    }

    /** The job's status in Redis; throws when Redis cannot be read, null when none or unreadable. */
    Status readStatus(String eventId) {
        String v = redis.get(STATUS_PREFIX + eventId);
        try {
            return v == null ? null : json.readValue(v, Status.class);
        } catch (java.io.IOException e) {
            LOG.warnf("graph status of %s not read: %s", eventId, e.getMessage());
            return null;
        }
    }

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

    static String graphKey(AttributionResult r, double nodeThreshold, double edgeMass) {
        int[] ids = r.tokens().stream().mapToInt(AttributionResult.Token::id).toArray();
        AttributionResult.Engine e = r.engine();
        String content = CacheKeys.contentKey(
                r.model().name(),
                r.model().revision() == null ? "main" : r.model().revision(),
                e == null ? "attnlrp" : e.rules(),
                e == null ? "attnlrp" : e.softmax(),
                e == null ? "float32" : e.dtype(),
                ids,
                r.target().position(),
                r.target().wrong().id(),
                r.target().contrast().id());
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            String s = content + "|graph|" + String.format(Locale.ROOT, "%s|%s", nodeThreshold, edgeMass);
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private long ttl() {
        return Math.max(1, cacheConfig.ttl().toSeconds());
    }

    @PreDestroy
    void stop() {
        runner.shutdownNow();
    }
}
