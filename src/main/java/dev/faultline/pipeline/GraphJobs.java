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
import dev.faultline.fleet.FleetRequest;
import dev.faultline.fleet.FleetRequestHandler;
import dev.faultline.fleet.FleetRequests;
import dev.faultline.store.CacheConfig;
import dev.faultline.store.CacheKeys;
import dev.faultline.store.GraphSlots;
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
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Attribution-graph jobs on request: one at a time on their own thread, whose every step (one backward pass)
 * runs on the engine's single worker between live attributions (low priority, see {@link AttributionGraphs}). A
 * finished graph is cached in Redis at {@code faultline:graph:<content key>} (the attribution's content key plus the
 * thresholds; {@code faultline:graph-event:<event_id>} links the event) and published on {@value Topics#ATTRIBUTION_GRAPHS}, key event id.
 * A process that runs no attributions ({@code faultline.role=triage}) forwards the job to the workers on
 * {@code attribution.requests} ({@link FleetRequests}); the job's status is kept in Redis at
 * {@code faultline:graph-status:<event_id>} (TTL of the result cache) as well, so any pod answers the status poll.
 * At most {@code faultline.graph.max-queued} jobs wait in this process's queue ({@link Refused} beyond); a queued job
 * can be cancelled. Forwarded jobs hold a fleet-wide slot in Redis ({@link GraphSlots}) from the POST until the worker
 * is done with them, at most {@code faultline.graph.max-queued} at once; a cancelled forwarded job is skipped by its
 * worker (or its graph dropped, if it had started) and frees its slot. Without Redis a forwarded POST or DELETE is
 * refused ({@link Reason#UNAVAILABLE}): a triage pod never learns when a worker finishes, so it cannot count alone.
 */
@ApplicationScoped
public class GraphJobs implements FleetRequestHandler {

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
    FleetRequests requests;

    @Inject
    GraphConfig config;

    @Inject
    GraphSlots slots;

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
            try {
                slots.count(); // fail closed before the result lookup, which answers "not found" without Redis
            } catch (RuntimeException e) {
                throw unavailable(e);
            }
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
        if (redis.get(key) != null) {
            redis.setex(EVENT_PREFIX + eventId, ttl(), key);
            Status done = new Status(eventId, "done", "done", 1.0, nodeThreshold, edgeMass, null);
            jobs.put(eventId, done);
            return done;
        }
        if (!faultline.role().attributes()) {
            return forward(eventId, nodeThreshold, edgeMass);
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
                    run(eventId, r, request, key);
                }
            });
            return queued;
        }
    }

    /** Forwards the job to the workers once it holds one of the fleet's slots. */
    private Status forward(String eventId, double nodeThreshold, double edgeMass) {
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
        Status forwarded = new Status(eventId, "queued", FORWARDED, 0, nodeThreshold, edgeMass, null);
        if (taken == GraphSlots.Taken.HELD) {
            Status known = storedStatus(eventId);
            return known != null
                            && (known.state().equals("queued") || known.state().equals("running"))
                    ? known
                    : forwarded;
        }
        putStatus(forwarded);
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
        Status stored = null;
        try {
            stored = readStatus(eventId);
            if (stored != null && stored.state().equals("queued") && slots.cancel(eventId, config.slotLease())) {
                Status cancelled = new Status(
                        eventId, "cancelled", "cancelled", 0, stored.nodeThreshold(), stored.edgeMass(), null);
                if (current != null) {
                    jobs.put(eventId, cancelled); // a forwarded job this worker has taken but not started
                }
                putStatus(cancelled);
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
        Optional<AttributionResult> found = lookup.find(eventId).map(ResultLookup.Found::result);
        if (found.isEmpty()
                || found.get().status() != AttributionStatus.ATTRIBUTED
                || found.get().tokens() == null
                || found.get().target() == null) {
            putStatus(new Status(
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
        String key = GRAPH_PREFIX + graphKey(r, nodeThreshold, edgeMass);
        if (redis.get(key) != null) {
            redis.setex(EVENT_PREFIX + eventId, ttl(), key);
            putStatus(new Status(eventId, "done", "done", 1.0, nodeThreshold, edgeMass, null));
            return CompletableFuture.completedFuture(null);
        }
        GraphRequest request = request(r, nodeThreshold, edgeMass);
        Status queued = new Status(eventId, "queued", "queued", 0, nodeThreshold, edgeMass, null);
        jobs.put(eventId, queued);
        putStatus(queued);
        return CompletableFuture.runAsync(
                () -> {
                    if (!cancelledForwarded(eventId, nodeThreshold, edgeMass)) {
                        run(eventId, r, request, key, true);
                    }
                },
                runner);
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
            jobs.put(eventId, s);
            putStatus(s);
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

    private void run(String eventId, AttributionResult r, GraphRequest request, String key) {
        run(eventId, r, request, key, false);
    }

    private void run(String eventId, AttributionResult r, GraphRequest request, String key, boolean forwarded) {
        double nt = request.nodeThreshold();
        double em = request.edgeMass();
        jobs.put(eventId, new Status(eventId, "running", "starting", 0, nt, em, null));
        try {
            LanguageModel model = registry.acquire(r.model().name(), r.model().revision());
            putStatus(new Status(eventId, "running", "running", 0, nt, em, null));
            AttributionGraph graph = AttributionGraphs.build(
                    engine,
                    model,
                    request,
                    p -> jobs.put(
                            eventId,
                            new Status(eventId, "running", p.phase(), Math.min(p.fraction(), 0.999), nt, em, null)));
            if (forwarded && cancelledForwarded(eventId, nt, em)) {
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

    private void putStatus(Status s) {
        try {
            redis.setex(STATUS_PREFIX + s.eventId(), ttl(), json.writeValueAsString(s));
        } catch (Exception e) {
            LOG.warnf("graph status of %s not stored: %s", s.eventId(), e.getMessage());
        }
    }

    private Status storedStatus(String eventId) {
        try {
            return readStatus(eventId);
        } catch (RuntimeException e) {
            LOG.warnf("graph status of %s not read: %s", eventId, e.getMessage());
            return null;
        }
    }

    /** The job's status in Redis; throws when Redis cannot be read, null when none or unreadable. */
    private Status readStatus(String eventId) {
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
