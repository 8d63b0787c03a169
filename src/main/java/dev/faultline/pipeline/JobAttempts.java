package dev.faultline.pipeline;

import dev.faultline.store.CacheConfig;
import dev.faultline.store.ResultCache;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * How many times a worker has started to attribute an event, in Redis ({@code faultline:attempts:<event_id>}, TTL
 * {@code faultline.cache.ttl}). The count is raised before the attribution runs and dropped once its result is linked,
 * so an attempt that never finished (the worker's JVM died: out of memory, a native crash, SIGKILL) is still counted
 * when the job is delivered again, to this process after a restart or to another worker. Past
 * {@code faultline.attribution.max-attempts} the job is not run again ({@link AttributionWorker}).
 * <p>
 * When Redis fails no attempt is counted ({@link #start} answers 0): a job is then attributed as often as it is
 * delivered, as before.
 */
@ApplicationScoped
public class JobAttempts {

    public static final String PREFIX = "faultline:attempts:";
    private static final Logger LOG = Logger.getLogger(JobAttempts.class);

    private final ValueCommands<String, Long> values;
    private final KeyCommands<String> keys;

    @Inject
    CacheConfig cacheConfig;

    @Inject
    ResultCache cache;

    @Inject
    public JobAttempts(RedisDataSource redis) {
        this.values = redis.value(String.class, Long.class);
        this.keys = redis.key(String.class);
    }

    /** Counts a new attempt at the event and returns its number (1 for the first), or 0 when Redis cannot count. */
    public long start(String eventId) {
        if (cache.degraded()) {
            return 0;
        }
        try {
            String key = PREFIX + eventId;
            long n = values.incr(key);
            keys.expire(key, Math.max(1, cacheConfig.ttl().toSeconds()));
            return n;
        } catch (RuntimeException e) {
            LOG.warnf("attempt at %s not counted in Redis (%s)", eventId, e.getMessage());
            return 0;
        }
    }

    /** Forgets the event's attempts once its result is linked. */
    public void finished(String eventId) {
        if (cache.degraded()) {
            return;
        }
        try {
            keys.del(PREFIX + eventId);
        } catch (RuntimeException e) {
            LOG.debugf("attempts of %s not removed: %s", eventId, e.getMessage());
        }
    }
}
