package dev.faultline.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.contract.AttributionResult;
import dev.faultline.pipeline.PipelineMetrics;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.ValueCommands;

/**
 * Results in Redis (DESIGN.md section 2.3): {@code faultline:attr:<sha256 of the content>} holds a result's JSON and
 * {@code faultline:event:<event_id>} the Redis key of that event's result (idempotency), both with a TTL. Results
 * without a content key (model unavailable, no pair from tokenization) live at {@code faultline:result:<event_id>}.
 * Redis is a cache: when it fails, callers go on without it; lookups are counted, and after an error Redis is skipped
 * for a back-off period (reported by {@link #degraded()}) so events do not each wait for a timeout.
 */
@ApplicationScoped
public class ResultCache {

    public static final String ATTR_PREFIX = "faultline:attr:";
    public static final String EVENT_PREFIX = "faultline:event:";
    public static final String RESULT_PREFIX = "faultline:result:";
    private static final Logger LOG = Logger.getLogger(ResultCache.class);

    private final ValueCommands<String, String> values;
    private final ObjectMapper json;
    private final CacheConfig config;
    private final PipelineMetrics metrics;
    private volatile long skipUntilMillis;
    private volatile String lastError;

    @Inject
    public ResultCache(RedisDataSource redis, ObjectMapper json, CacheConfig config, PipelineMetrics metrics) {
        this.values = redis.value(String.class, String.class);
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

    /** The result already stored for this event id (a re-delivery), counted as a cache request. */
    public Optional<AttributionResult> findByEvent(String eventId) {
        return counted(() -> {
            String key = values.get(EVENT_PREFIX + eventId);
            return key == null ? null : values.get(key);
        });
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

    /** Stores a published result (under its content key when it has one) and links the event to it. */
    public boolean put(String contentKey, AttributionResult result) {
        if (result.status() == dev.faultline.contract.AttributionStatus.FAILED
                || result.status() == dev.faultline.contract.AttributionStatus.MODEL_UNAVAILABLE) {
            return false; // transient: a re-delivery (or a later run) should try again
        }
        if (skipping()) {
            return false;
        }
        try {
            long ttl = Math.max(1, config.ttl().toSeconds());
            String key = contentKey != null ? ATTR_PREFIX + contentKey : RESULT_PREFIX + result.eventId();
            values.setex(key, ttl, json.writeValueAsString(result));
            values.setex(EVENT_PREFIX + result.eventId(), ttl, key);
            return true;
        } catch (Exception e) {
            failed(e);
            return false;
        }
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
