package dev.faultline.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.AttributionResult;
import dev.faultline.metrics.PipelineMetrics;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.util.TypeLiteral;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;

/**
 * Results in Redis (docs/contract.md, the result): {@code faultline:attr:<sha256 of the content>} holds a result's JSON and
 * {@code faultline:event:<event_id>} the Redis key of that event's result (idempotency), both with a TTL. Results
 * without a content key (no pair from tokenization, input too long), and results re-rendered for an event whose text
 * or segments differ from the content key's first one, live at {@code faultline:result:<event_id>}.
 * {@code faultline:input:<sha256 of the event's inputs and the settings>} (pipeline {@code InputKeys}) holds the key
 * of the result computed for those inputs, so triage answers a repeated input without a job.
 * Redis is a cache: when it fails, callers go on without it; lookups are counted. Keys: {@link CacheKeys}. Every
 * Redis call passes the circuit breaker of {@link RedisBreaker} (open: {@link #degraded()}), and the triage path's
 * calls its time-out.
 */
@ApplicationScoped
public class ResultCache {

    private static final Logger LOG = Logger.getLogger(ResultCache.class);
    private static final TypeLiteral<Uni<List<Known>>> KNOWN_LIST = new TypeLiteral<>() {};
    private static final TypeLiteral<Uni<Void>> VOID = new TypeLiteral<>() {};
    private static final TypeLiteral<Uni<List<Boolean>>> BOOLEAN_LIST = new TypeLiteral<>() {};

    private final ValueCommands<String, String> values;
    private final KeyCommands<String> keys;
    private final ReactiveValueCommands<String, String> reactiveValues;
    private final ObjectMapper json;
    private final CacheConfig config;
    private final PipelineMetrics metrics;
    private final LocalResults local;
    private final RedisBreaker guards;
    /** The circuit breaker every Redis call goes through. */
    private final Guard breaker;
    /** The time-out of the triage path's calls (inside the breaker). */
    private final Guard triageTimeout;

    @Inject
    public ResultCache(
            RedisDataSource redis,
            ReactiveRedisDataSource reactive,
            ObjectMapper json,
            CacheConfig config,
            PipelineMetrics metrics) {
        this.values = redis.value(String.class, String.class);
        this.keys = redis.key(String.class);
        this.reactiveValues = reactive.value(String.class, String.class);
        this.local = new LocalResults(config.localMaxChars());
        this.json = json;
        this.config = config;
        this.metrics = metrics;
        this.guards = new RedisBreaker(config);
        this.breaker = guards.breaker;
        this.triageTimeout = guards.triageTimeout;
    }

    /**
     * What Redis knows about an incorrect event before any computation: {@code published} when its own event id
     * already has a result (a re-delivery: the result is on the topic, nothing to send again), else {@code result}
     * when another event with the same input key has one (to be re-stamped and published), else neither;
     * {@code storedAt} is the Redis key of that result (for {@link #link}).
     */
    public record Known(AttributionResult result, boolean published, String storedAt) {
        public static final Known NOTHING = new Known(null, false, null);
    }

    /**
     * The worker's first look-up (blocking, on its own thread): as {@link #findAllForTriage} for one event, without
     * the triage time-out; one cache request, counted hit or miss.
     */
    public Known findByEventOrInput(String eventId, String inputKey) {
        return lookUp(List.of(eventId), List.of(inputKey), false, true)
                .await()
                .indefinitely()
                .get(0);
    }

    /**
     * The triage's look-up of a polled batch (non-blocking, for the Kafka consumer's event loop). Misses are not
     * counted (the worker looks again and counts). Gives up after {@code faultline.cache.triage-timeout}.
     */
    public Uni<List<Known>> findAllForTriage(List<String> eventIds, List<String> inputKeys) {
        if (eventIds.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return lookUp(eventIds, inputKeys, true, false);
    }

    /**
     * What Redis holds for each event, in two round trips whatever their number: {@code MGET} of every event link
     * and input link, then {@code MGET} of the results they point to that this process holds no copy of. An event's
     * own result comes first ({@code published}); when it has none (no link, or the link outlived its result), the
     * result stored for its input. Hits are counted, and misses when {@code countMisses}. Never fails: after the
     * triage time-out (when {@code triage}), an error or while the breaker is open every event is a miss (counted as
     * errors, the open breaker's only when {@code countMisses}).
     */
    private Uni<List<Known>> lookUp(
            List<String> eventIds, List<String> inputKeys, boolean triage, boolean countMisses) {
        int n = eventIds.size();
        String[] links = new String[2 * n]; // event links, then input links
        for (int i = 0; i < n; i++) {
            links[i] = CacheKeys.EVENT_PREFIX + eventIds.get(i);
            links[n + i] = CacheKeys.INPUT_PREFIX + inputKeys.get(i);
        }
        java.util.function.Supplier<Uni<List<Known>>> lookUp =
                () -> reactiveValues.mget(links).onItem().transformToUni(stored -> {
                    Map<String, AttributionResult> parsed = new HashMap<>();
                    Set<String> wanted = new LinkedHashSet<>();
                    for (String link : links) {
                        String key = stored.get(link);
                        if (key != null && !parsed.containsKey(key) && !wanted.contains(key)) {
                            AttributionResult r = local.get(key);
                            if (r != null) {
                                parsed.put(key, r);
                            } else {
                                wanted.add(key);
                            }
                        }
                    }
                    Uni<Map<String, String>> fetched = wanted.isEmpty()
                            ? Uni.createFrom().item(Map.of())
                            : reactiveValues.mget(wanted.toArray(String[]::new));
                    return fetched.map(values -> {
                        List<Known> out = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            Known k = Known.NOTHING;
                            for (int side = 0; side < 2 && k.result() == null; side++) {
                                String key = stored.get(links[side * n + i]);
                                AttributionResult r =
                                        key == null ? null : parsed.computeIfAbsent(key, x -> parse(x, values.get(x)));
                                if (r != null) {
                                    k = new Known(r, side == 0, key);
                                }
                            }
                            if (k.result() != null || countMisses) {
                                metrics.cache(k.result() != null ? "hit" : "miss");
                            }
                            out.add(k);
                        }
                        return out;
                    });
                });
        Uni<List<Known>> found = breaker.get(triage ? () -> triageTimeout.get(lookUp, KNOWN_LIST) : lookUp, KNOWN_LIST);
        return found.onFailure().recoverWithItem(e -> {
            if (e instanceof CircuitBreakerOpenException) {
                if (countMisses) {
                    metrics.cache("error");
                }
                return java.util.Collections.nCopies(n, Known.NOTHING);
            }
            metrics.cache("error");
            if (RedisBreaker.busy(e)) {
                LOG.debugf("Redis look-up gave up (%s): computing instead", e.toString());
            } else {
                failed(e instanceof Exception ex ? ex : new RuntimeException(e));
            }
            return java.util.Collections.nCopies(n, Known.NOTHING);
        });
    }

    /** A stored result, or null when absent or unreadable (counted as an error); kept locally under its key. */
    private AttributionResult parse(String key, String value) {
        if (value == null) {
            return null;
        }
        try {
            AttributionResult r = json.readValue(value, AttributionResult.class);
            local.put(key, r, value.length());
            return r;
        } catch (JsonProcessingException e) {
            metrics.cache("error");
            LOG.warnf("unreadable cached result: %s", e.getMessage());
            return null;
        }
    }

    /** The result stored under a content key, counted as a cache request. */
    public Optional<AttributionResult> findByContent(String contentKey) {
        return counted(() -> values.get(CacheKeys.ATTR_PREFIX + contentKey));
    }

    /** The stored result of an event for readers (REST); not counted; empty when Redis is down. */
    public Optional<AttributionResult> read(String eventId) {
        String value;
        try {
            value = breaker.call(
                    () -> {
                        String key = values.get(CacheKeys.EVENT_PREFIX + eventId);
                        return key == null ? null : values.get(key);
                    },
                    String.class);
        } catch (CircuitBreakerOpenException e) {
            return Optional.empty();
        } catch (Exception e) {
            failed(e);
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(value == null ? null : json.readValue(value, AttributionResult.class));
        } catch (JsonProcessingException e) {
            LOG.warnf("unreadable cached result: %s", e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Stores a published result (under its content key when it has one) and links the event, and its input key when
     * given, to it.
     */
    public boolean put(String contentKey, String inputKey, AttributionResult result) {
        if (result.status() == dev.faultline.contract.AttributionStatus.FAILED
                || result.status() == dev.faultline.contract.AttributionStatus.MODEL_UNAVAILABLE) {
            return false; // transient: a re-delivery (or a later run) should try again
        }
        String value;
        try {
            value = json.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            LOG.warnf("result %s not cached: %s", result.eventId(), e.getMessage());
            return false;
        }
        long ttl = Math.max(1, config.ttl().toSeconds());
        try {
            String key = breaker.call(
                    () -> {
                        // the first result of a content key is its record; a second one (two inputs raced to the same
                        // content) keeps its own rendering (token spans, segments) under its event id, so the input
                        // links
                        // stay exact
                        String k = CacheKeys.RESULT_PREFIX + result.eventId();
                        if (contentKey != null && values.setnx(CacheKeys.ATTR_PREFIX + contentKey, value)) {
                            k = CacheKeys.ATTR_PREFIX + contentKey;
                            keys.expire(k, ttl);
                        } else {
                            values.setex(k, ttl, value);
                        }
                        linkNow(result.eventId(), inputKey, k, ttl);
                        return k;
                    },
                    String.class);
            local.put(key, result, value.length());
            return true;
        } catch (CircuitBreakerOpenException e) {
            return false;
        } catch (Exception e) {
            failed(e);
            return false;
        }
    }

    /**
     * Links an event, and its input key when given, to a result already stored at {@code storedAt} (an input- or
     * content-key hit whose stored result fits this event as it is): a re-delivery then publishes nothing again.
     * Blocking (the worker's cache writer); never fails (an error starts the back-off).
     */
    public void link(String eventId, String inputKey, String storedAt) {
        if (storedAt == null) {
            return;
        }
        long ttl = Math.max(1, config.ttl().toSeconds());
        try {
            breaker.call(
                    () -> {
                        keys.expire(storedAt, ttl);
                        linkNow(eventId, inputKey, storedAt, ttl);
                        return null;
                    },
                    Void.class);
        } catch (CircuitBreakerOpenException e) {
            // Redis is being skipped: the event stays unlinked, as when it fails
        } catch (Exception e) {
            failed(e);
        }
    }

    private void linkNow(String eventId, String inputKey, String storedAt, long ttl) {
        values.setex(CacheKeys.EVENT_PREFIX + eventId, ttl, storedAt);
        if (inputKey != null) {
            values.setex(CacheKeys.INPUT_PREFIX + inputKey, ttl, storedAt);
        }
    }

    /** As {@link #link(String, String, String)} for the event only, non-blocking (triage's event loop). */
    public Uni<Void> linkEvent(String eventId, String storedAt) {
        if (storedAt == null) {
            return Uni.createFrom().voidItem();
        }
        long ttl = Math.max(1, config.ttl().toSeconds());
        return breaker.get(
                        () -> triageTimeout.get(
                                () -> reactiveValues.setex(CacheKeys.EVENT_PREFIX + eventId, ttl, storedAt), VOID),
                        VOID)
                .onFailure()
                .recoverWithItem(e -> {
                    if (!(e instanceof CircuitBreakerOpenException)) {
                        failed(e instanceof Exception ex ? ex : new RuntimeException(e));
                    }
                    return null;
                });
    }

    /**
     * Which of {@code eventIds} are linked to a result already (triage's check before publishing a CORRECT or
     * UNSCORABLE result: a re-delivered event publishes nothing again). One {@code MGET}, non-blocking; after the
     * triage time-out, an error or while the breaker is open, none is (the caller falls back to what it knows).
     */
    public Uni<List<Boolean>> linkedForTriage(List<String> eventIds) {
        int n = eventIds.size();
        if (n == 0) {
            return Uni.createFrom().item(List.of());
        }
        String[] links =
                eventIds.stream().map(id -> CacheKeys.EVENT_PREFIX + id).toArray(String[]::new);
        java.util.function.Supplier<Uni<List<Boolean>>> lookUp =
                () -> reactiveValues.mget(links).map(stored -> {
                    List<Boolean> out = new ArrayList<>(n);
                    for (String link : links) {
                        out.add(stored.get(link) != null);
                    }
                    return out;
                });
        return breaker.get(() -> triageTimeout.get(lookUp, BOOLEAN_LIST), BOOLEAN_LIST)
                .onFailure()
                .recoverWithItem(e -> {
                    if (!(e instanceof CircuitBreakerOpenException) && !RedisBreaker.busy(e)) {
                        failed(e instanceof Exception ex ? ex : new RuntimeException(e));
                    }
                    return java.util.Collections.nCopies(n, false);
                });
    }

    /**
     * Stores a result triage published itself (CORRECT, UNSCORABLE) under {@code faultline:result:<event_id>} and
     * links the event to it, so a re-delivery publishes nothing and readers find it. Non-blocking; never fails (an
     * error starts the back-off, and the event stays unlinked).
     */
    public Uni<Void> storeDirect(AttributionResult result) {
        String value;
        try {
            value = json.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            LOG.warnf("result %s not cached: %s", result.eventId(), e.getMessage());
            return Uni.createFrom().voidItem();
        }
        long ttl = Math.max(1, config.ttl().toSeconds());
        String key = CacheKeys.RESULT_PREFIX + result.eventId();
        java.util.function.Supplier<Uni<Void>> write = () -> reactiveValues
                .setex(key, ttl, value)
                .chain(() -> reactiveValues.setex(CacheKeys.EVENT_PREFIX + result.eventId(), ttl, key));
        return breaker.get(() -> triageTimeout.get(write, VOID), VOID)
                .onFailure()
                .recoverWithItem(e -> {
                    if (!(e instanceof CircuitBreakerOpenException) && !RedisBreaker.busy(e)) {
                        failed(e instanceof Exception ex ? ex : new RuntimeException(e));
                    }
                    return null;
                });
    }

    /** True while Redis is being skipped after an error (the breaker is open and its back-off not over). */
    public boolean degraded() {
        return guards.degraded();
    }

    public String lastError() {
        return guards.lastError();
    }

    private Optional<AttributionResult> counted(java.util.concurrent.Callable<String> read) {
        try {
            String value = breaker.call(read, String.class);
            if (value == null) {
                metrics.cache("miss");
                return Optional.empty();
            }
            AttributionResult r = json.readValue(value, AttributionResult.class);
            metrics.cache("hit");
            return Optional.of(r);
        } catch (JsonProcessingException e) {
            metrics.cache("error");
            LOG.warnf("unreadable cached result: %s", e.getMessage());
            return Optional.empty();
        } catch (CircuitBreakerOpenException e) {
            metrics.cache("error");
            return Optional.empty();
        } catch (Exception e) {
            metrics.cache("error");
            failed(e);
            return Optional.empty();
        }
    }

    private void failed(Exception e) {
        guards.failed(e);
    }
}
