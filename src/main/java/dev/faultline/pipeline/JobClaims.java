package dev.faultline.pipeline;

import dev.faultline.store.CacheConfig;
import dev.faultline.store.CacheKeys;
import dev.faultline.store.ResultCache;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Who attributes an event right now, in Redis, so that two workers never both publish a result for one event (a job
 * re-delivered after a rebalance while its first owner still runs it, or after that owner died):
 * <ul>
 * <li>{@code faultline:claim:<event_id>} = {@code <worker id>/<attempt id>}: taken with {@code SETNX} before the
 * attribution and deleted once the event's result is linked ({@code faultline:event:<event_id>});</li>
 * <li>{@code faultline:worker:<worker id>}: this process's heartbeat (TTL {@value #ALIVE_SECONDS} s, renewed every
 * {@value #BEAT_SECONDS} s). A claim whose worker has no heartbeat is stale and is taken over with {@code GETSET}
 * (only the one taker that reads the stale value back wins);</li>
 * <li>{@code faultline:publishing:<event_id>} = epoch millis, set just before a result is sent to the broker. An
 * owner that finds it (a predecessor crashed between that point and the link) first looks for the event's result on
 * {@code attribution.results} since then, and links what it finds instead of publishing a second result.</li>
 * </ul>
 * When Redis fails the worker goes on without claims (at least once: the compacted results topic keeps the last).
 */
@ApplicationScoped
public class JobClaims {

    public static final String CLAIM_PREFIX = "faultline:claim:";
    public static final String WORKER_PREFIX = "faultline:worker:";
    public static final String PUBLISHING_PREFIX = "faultline:publishing:";
    static final int ALIVE_SECONDS = 10;
    static final int BEAT_SECONDS = 2;
    private static final Logger LOG = Logger.getLogger(JobClaims.class);

    /** What the owner of a job should do. */
    public sealed interface Decision {}

    /** The event's result is linked already: nothing to do. */
    public record Done() implements Decision {}

    /**
     * This attempt owns the event; {@code publishingSince} is when a predecessor started publishing (null: never).
     */
    public record Owned(String claim, Long publishingSince) implements Decision {}

    private final ValueCommands<String, String> values;
    private final KeyCommands<String> keys;
    private final String workerId = UUID.randomUUID().toString();
    private volatile ScheduledExecutorService heart;

    @Inject
    CacheConfig cacheConfig;

    @Inject
    ResultCache cache;

    @Inject
    public JobClaims(RedisDataSource redis) {
        this.values = redis.value(String.class, String.class);
        this.keys = redis.key(String.class);
    }

    /** This process's worker id (its heartbeat key). */
    public String workerId() {
        return workerId;
    }

    /**
     * Blocks until the event's result is linked (then {@link Done}) or this attempt owns the event: a claim held by a
     * live worker is waited for, polling every {@code pollMillis}; one of a dead worker is taken over. Returns
     * {@link Owned} with a null claim when Redis fails.
     */
    public Decision acquire(String eventId, long pollMillis) throws InterruptedException {
        String mine = workerId + "/" + UUID.randomUUID();
        String key = CLAIM_PREFIX + eventId;
        while (true) {
            if (cache.degraded()) {
                return new Owned(null, null); // Redis is being skipped after an error: no claim
            }
            try {
                beat();
                if (values.get(CacheKeys.EVENT_PREFIX + eventId) != null) {
                    return new Done();
                }
                boolean owned = values.setnx(key, mine);
                if (!owned) {
                    String holder = values.get(key);
                    if (holder == null) {
                        continue; // released between the two calls
                    }
                    if (!alive(holder)) {
                        // a dead worker's claim: GETSET hands it to exactly one taker
                        owned = holder.equals(values.getset(key, mine));
                        if (owned) {
                            LOG.infof("claim of %s taken over from dead worker %s", eventId, holder);
                        }
                    }
                }
                if (owned) {
                    keys.expire(key, Math.max(1, cacheConfig.ttl().toSeconds()));
                    if (values.get(CacheKeys.EVENT_PREFIX + eventId) != null) {
                        release(eventId, mine); // linked while we were taking it
                        return new Done();
                    }
                    String since = values.get(PUBLISHING_PREFIX + eventId);
                    return new Owned(mine, since == null ? null : Long.parseLong(since));
                }
            } catch (RuntimeException e) {
                LOG.warnf(
                        "job claim of %s not checked in Redis (%s): attributing without a claim",
                        eventId, e.getMessage());
                return new Owned(null, null);
            }
            Thread.sleep(pollMillis);
        }
    }

    /** Marks the event as being published now (before the result goes to the broker). */
    public void publishing(String eventId) {
        if (cache.degraded()) {
            return;
        }
        try {
            values.setex(
                    PUBLISHING_PREFIX + eventId,
                    Math.max(1, cacheConfig.ttl().toSeconds()),
                    Long.toString(System.currentTimeMillis()));
        } catch (RuntimeException e) {
            LOG.debugf("publishing mark of %s not written: %s", eventId, e.getMessage());
        }
    }

    /** Gives the claim up (its result is linked, or the attempt failed); a claim since taken by another stays. */
    public void release(String eventId, String claim) {
        if (claim == null || cache.degraded()) {
            return;
        }
        try {
            String key = CLAIM_PREFIX + eventId;
            if (claim.equals(values.get(key))) {
                keys.del(key);
            }
        } catch (RuntimeException e) {
            LOG.debugf("claim of %s not released: %s", eventId, e.getMessage());
        }
    }

    /** Drops the publishing mark once the event's result is linked. */
    public void published(String eventId) {
        if (cache.degraded()) {
            return;
        }
        try {
            keys.del(PUBLISHING_PREFIX + eventId);
        } catch (RuntimeException e) {
            LOG.debugf("publishing mark of %s not removed: %s", eventId, e.getMessage());
        }
    }

    private boolean alive(String claim) {
        int slash = claim.indexOf('/');
        String worker = slash < 0 ? claim : claim.substring(0, slash);
        return worker.equals(workerId) || keys.exists(WORKER_PREFIX + worker);
    }

    /** Starts this process's heartbeat (once). */
    private void beat() {
        if (heart != null) {
            return;
        }
        synchronized (this) {
            if (heart != null) {
                return;
            }
            values.setex(WORKER_PREFIX + workerId, ALIVE_SECONDS, "alive");
            heart = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "faultline-worker-heartbeat");
                t.setDaemon(true);
                return t;
            });
            heart.scheduleAtFixedRate(
                    () -> {
                        try {
                            values.setex(WORKER_PREFIX + workerId, ALIVE_SECONDS, "alive");
                        } catch (RuntimeException e) {
                            LOG.debugf("heartbeat not written: %s", e.getMessage());
                        }
                    },
                    BEAT_SECONDS,
                    BEAT_SECONDS,
                    TimeUnit.SECONDS);
        }
    }

    @PreDestroy
    void stop() {
        ScheduledExecutorService h = heart;
        if (h != null) {
            h.shutdownNow();
            try {
                keys.del(WORKER_PREFIX + workerId);
            } catch (RuntimeException e) {
                LOG.debugf("heartbeat not removed: %s", e.getMessage());
            }
        }
    }
}
