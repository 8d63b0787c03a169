package dev.faultline.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.contract.AttributionResult;
import dev.faultline.pipeline.PipelineMetrics;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.smallrye.mutiny.Uni;

/**
 * Results in Redis (DESIGN.md section 2.3): {@code faultline:attr:<sha256 of the content>} holds a result's JSON and
 * {@code faultline:event:<event_id>} the Redis key of that event's result (idempotency), both with a TTL. Results
 * without a content key (no pair from tokenization, input too long), and results re-rendered for an event whose text
 * or segments differ from the content key's first one, live at {@code faultline:result:<event_id>}.
 * {@code faultline:input:<sha256 of the event's inputs and the settings>} (pipeline {@code InputKeys}) holds the key
 * of the result computed for those inputs, so triage answers a repeated input without a job.
 * Redis is a cache: when it fails, callers go on without it; lookups are counted, and after an error Redis is skipped
 * for a back-off period (reported by {@link #degraded()}) so events do not each wait for a timeout.
 */
@ApplicationScoped
public class ResultCache {

    public static final String ATTR_PREFIX = "faultline:attr:";
    public static final String EVENT_PREFIX = "faultline:event:";
    public static final String RESULT_PREFIX = "faultline:result:";
    public static final String INPUT_PREFIX = "faultline:input:";
    private static final Logger LOG = Logger.getLogger(ResultCache.class);

    private final ValueCommands<String, String> values;
    private final KeyCommands<String> keys;
    private final ReactiveValueCommands<String, String> reactiveValues;
    private final ObjectMapper json;
    private final CacheConfig config;
    private final PipelineMetrics metrics;
    private final LocalResults local;
    private volatile long skipUntilMillis;
    private volatile String lastError;

    @Inject
    public ResultCache(RedisDataSource redis, ReactiveRedisDataSource reactive, ObjectMapper json, CacheConfig config,
            PipelineMetrics metrics) {
        this.values = redis.value(String.class, String.class);
        this.keys = redis.key(String.class);
        this.reactiveValues = reactive.value(String.class, String.class);
        this.local = new LocalResults(config.localMaxChars());
        this.json = json;
        this.config = config;
        this.metrics = metrics;
    }

    /** sha256 over everything that decides an attribution's content (DESIGN.md 2.3), as lower-case hex. */
    public static String contentKey(String model, String revision, String rules, String softmax, String dtype,
            int[] ids, int position, int wrong, int contrast) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            StringBuilder sb = new StringBuilder();
            sb.append(model).append('\n').append(revision).append('\n').append(rules).append('\n').append(softmax)
                    .append('\n').append(dtype).append('\n');
            for (int id : ids) {
                sb.append(id).append(',');
            }
            sb.append('\n').append(position).append('\n').append(wrong).append('\n').append(contrast);
            return HexFormat.of().formatHex(md.digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
        if (skipping()) {
            metrics.cache("error");
            return Known.NOTHING;
        }
        return lookUp(List.of(eventId), List.of(inputKey), null, true).await().indefinitely().get(0);
    }

    /**
     * The triage's look-up of a polled batch (non-blocking, for the Kafka consumer's event loop). Misses are not
     * counted (the worker looks again and counts). Gives up after {@code faultline.cache.triage-timeout}.
     */
    public Uni<List<Known>> findAllForTriage(List<String> eventIds, List<String> inputKeys) {
        if (skipping() || eventIds.isEmpty()) {
            return Uni.createFrom().item(java.util.Collections.nCopies(eventIds.size(), Known.NOTHING));
        }
        return lookUp(eventIds, inputKeys, config.triageTimeout(), false);
    }

    /**
     * What Redis holds for each event, in two round trips whatever their number: {@code MGET} of every event link
     * and input link, then {@code MGET} of the results they point to that this process holds no copy of. An event's
     * own result comes first ({@code published}); when it has none (no link, or the link outlived its result), the
     * result stored for its input. Hits are counted, and misses when {@code countMisses}. Never fails: after
     * {@code timeout} (none when null) or an error every event is a miss (counted as errors; an error, not a time-out
     * or a full pool, starts the back-off).
     */
    private Uni<List<Known>> lookUp(List<String> eventIds, List<String> inputKeys, java.time.Duration timeout,
            boolean countMisses) {
        int n = eventIds.size();
        String[] links = new String[2 * n]; // event links, then input links
        for (int i = 0; i < n; i++) {
            links[i] = EVENT_PREFIX + eventIds.get(i);
            links[n + i] = INPUT_PREFIX + inputKeys.get(i);
        }
        Uni<List<Known>> found = reactiveValues.mget(links).onItem().transformToUni(stored -> {
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
            Uni<Map<String, String>> fetched = wanted.isEmpty() ? Uni.createFrom().item(Map.of())
                    : reactiveValues.mget(wanted.toArray(String[]::new));
            return fetched.map(values -> {
                List<Known> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    Known k = Known.NOTHING;
                    for (int side = 0; side < 2 && k.result() == null; side++) {
                        String key = stored.get(links[side * n + i]);
                        AttributionResult r = key == null ? null
                                : parsed.computeIfAbsent(key, x -> parse(x, values.get(x)));
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
        if (timeout != null) {
            found = found.ifNoItem().after(timeout).fail();
        }
        return found.onFailure().recoverWithItem(e -> {
            metrics.cache("error");
            if (busy(e)) {
                LOG.debugf("Redis look-up gave up (%s): computing instead", e.toString());
            } else {
                failed(e instanceof Exception ex ? ex : new RuntimeException(e));
            }
            return java.util.Collections.nCopies(n, Known.NOTHING);
        });
    }

    /** Slow or saturated, not down: a time-out or a full connection pool does not start the back-off. */
    private static boolean busy(Throwable e) {
        return e instanceof io.smallrye.mutiny.TimeoutException
                || e.getClass().getSimpleName().equals("ConnectionPoolTooBusyException");
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
        return counted(() -> values.get(ATTR_PREFIX + contentKey));
    }

    /** The stored result of an event for readers (REST); not counted; empty when Redis is down. */
    public Optional<AttributionResult> read(String eventId) {
        if (skipping()) {
            return Optional.empty();
        }
        try {
            String key = values.get(EVENT_PREFIX + eventId);
            String value = key == null ? null : values.get(key);
            return Optional.ofNullable(value == null ? null : json.readValue(value, AttributionResult.class));
        } catch (Exception e) {
            failed(e);
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
        if (skipping()) {
            return false;
        }
        try {
            long ttl = Math.max(1, config.ttl().toSeconds());
            String value = json.writeValueAsString(result);
            String key = RESULT_PREFIX + result.eventId();
            // the first result of a content key is its record; a second one (two inputs raced to the same content)
            // keeps its own rendering (token spans, segments) under its event id, so the input links stay exact
            if (contentKey != null && values.setnx(ATTR_PREFIX + contentKey, value)) {
                key = ATTR_PREFIX + contentKey;
                keys.expire(key, ttl);
            } else {
                values.setex(key, ttl, value);
            }
            linkNow(result.eventId(), inputKey, key, ttl);
            local.put(key, result, value.length());
            return true;
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
        if (skipping() || storedAt == null) {
            return;
        }
        try {
            long ttl = Math.max(1, config.ttl().toSeconds());
            keys.expire(storedAt, ttl);
            linkNow(eventId, inputKey, storedAt, ttl);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void linkNow(String eventId, String inputKey, String storedAt, long ttl) {
        values.setex(EVENT_PREFIX + eventId, ttl, storedAt);
        if (inputKey != null) {
            values.setex(INPUT_PREFIX + inputKey, ttl, storedAt);
        }
    }

    /** As {@link #link(String, String, String)} for the event only, non-blocking (triage's event loop). */
    public Uni<Void> linkEvent(String eventId, String storedAt) {
        if (skipping() || storedAt == null) {
            return Uni.createFrom().voidItem();
        }
        return reactiveValues.setex(EVENT_PREFIX + eventId, Math.max(1, config.ttl().toSeconds()), storedAt)
                .ifNoItem().after(config.triageTimeout()).fail()
                .onFailure().recoverWithItem(e -> {
                    failed(e instanceof Exception ex ? ex : new RuntimeException(e));
                    return null;
                });
    }

    /** True while Redis is being skipped after an error. */
    public boolean degraded() {
        return skipping();
    }

    public String lastError() {
        return lastError;
    }

    @FunctionalInterface
    private interface Read {
        String get();
    }

    private Optional<AttributionResult> counted(Read read) {
        if (skipping()) {
            metrics.cache("error");
            return Optional.empty();
        }
        try {
            String value = read.get();
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
        } catch (RuntimeException e) {
            metrics.cache("error");
            failed(e);
            return Optional.empty();
        }
    }

    private boolean skipping() {
        return System.currentTimeMillis() < skipUntilMillis;
    }

    private void failed(Exception e) {
        lastError = e.toString();
        skipUntilMillis = System.currentTimeMillis() + config.backoff().toMillis();
        LOG.warnf("Redis unavailable (%s): going on without the cache for %s", e, config.backoff());
    }
}
