package dev.faultline.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.AttributionResult;
import dev.faultline.pipeline.GraphJob.Status;
import dev.faultline.store.CacheConfig;
import dev.faultline.store.CacheKeys;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.ValueCommands;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Graph jobs' records in Redis, each with the TTL of the result cache: a finished graph at
 * {@code faultline:graph:<content key>} (the attribution's content key plus the thresholds), the link from an event to
 * its graph at {@code faultline:graph-event:<event_id>}, and the job's status at
 * {@code faultline:graph-status:<event_id>}, so any pod answers the status and graph polls.
 */
@ApplicationScoped
public class GraphStore {

    public static final String GRAPH_PREFIX = "faultline:graph:";
    public static final String EVENT_PREFIX = "faultline:graph-event:";
    public static final String STATUS_PREFIX = "faultline:graph-status:";

    private static final Logger LOG = Logger.getLogger(GraphStore.class);

    private final ValueCommands<String, String> redis;
    private final ObjectMapper json;
    private final CacheConfig cacheConfig;

    @Inject
    public GraphStore(RedisDataSource redis, ObjectMapper json, CacheConfig cacheConfig) {
        this.redis = redis.value(String.class, String.class);
        this.json = json;
        this.cacheConfig = cacheConfig;
    }

    /** The Redis key of the graph of an attributed result with these thresholds. */
    static String key(AttributionResult r, double nodeThreshold, double edgeMass) {
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
            return GRAPH_PREFIX + HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The graph JSON of an event, once computed. */
    Optional<String> graph(String eventId) {
        String key = redis.get(EVENT_PREFIX + eventId);
        return Optional.ofNullable(key == null ? null : redis.get(key));
    }

    /** Stores a graph's JSON at {@code key} and links the event to it. */
    void put(String eventId, String key, String graph) {
        redis.setex(key, ttl(), graph);
        redis.setex(EVENT_PREFIX + eventId, ttl(), key);
    }

    /** Whether the graph at {@code key} is cached; if so the event is linked to it. */
    boolean linkCached(String eventId, String key) {
        if (redis.get(key) == null) {
            return false;
        }
        redis.setex(EVENT_PREFIX + eventId, ttl(), key);
        return true;
    }

    /** Stores the job's status; a failure is logged (the status is then known only to this process). */
    void putStatus(Status s) {
        try {
            redis.setex(STATUS_PREFIX + s.eventId(), ttl(), json.writeValueAsString(s));
        } catch (Exception e) {
            LOG.warnf("graph status of %s not stored: %s", s.eventId(), e.getMessage());
        }
    }

    /** The job's status in Redis; null when none, unreadable, or Redis cannot be read. */
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
        } catch (IOException e) {
            LOG.warnf("graph status of %s not read: %s", eventId, e.getMessage());
            return null;
        }
    }

    private long ttl() {
        return Math.max(1, cacheConfig.ttl().toSeconds());
    }
}
