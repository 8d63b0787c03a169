package dev.faultline.store;

import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/**
 * The fleet's slots for graph jobs forwarded to the workers, shared by every pod through Redis: the sorted set
 * {@value #SLOTS} holds one member per queued or running forwarded job (its event id), scored with the epoch ms at
 * which the slot lapses, so a job whose worker died frees its slot after the lease even if nobody releases it. A
 * cancelled job leaves {@value #CANCELLED_PREFIX}{@code <event_id>} (same lease) for the worker that takes its
 * request. Each check-and-take is one Lua script, so two pods cannot both take the last slot.
 */
@ApplicationScoped
public class GraphSlots {

    public static final String SLOTS = "faultline:graph-slots";
    public static final String CANCELLED_PREFIX = "faultline:graph-cancelled:";

    /** What {@link #acquire} did. */
    public enum Taken {
        /** A slot is now held for the event. */
        TAKEN,
        /** The event already held one. */
        HELD,
        /** Every slot is held: nothing taken. */
        FULL
    }

    // KEYS: slots, cancelled marker; ARGV: event id, now ms, lease end ms, max slots, lease ms
    private static final String ACQUIRE = """
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
            if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
            if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 2 end
            redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            redis.call('DEL', KEYS[2])
            return 0
            """;

    // KEYS: slots, cancelled marker; ARGV: event id, now ms, lease ms
    private static final String CANCEL = """
            local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
            if not s or tonumber(s) <= tonumber(ARGV[2]) then return 0 end
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
            return 1
            """;

    private final RedisDataSource redis;

    @Inject
    public GraphSlots(RedisDataSource redis) {
        this.redis = redis;
    }

    /** Takes a slot for the event's job unless {@code max} are held; clears a cancellation left by an earlier job. */
    public Taken acquire(String eventId, int max, Duration lease) {
        long now = System.currentTimeMillis();
        long ms = Math.max(1, lease.toMillis());
        Response r = redis.execute(
                Command.EVAL,
                ACQUIRE,
                "2",
                SLOTS,
                CANCELLED_PREFIX + eventId,
                eventId,
                Long.toString(now),
                Long.toString(now + ms),
                Integer.toString(max),
                Long.toString(ms));
        return Taken.values()[r.toInteger()];
    }

    /** Whether the event's job holds a slot now. */
    public boolean held(String eventId) {
        Response r = redis.execute(Command.ZSCORE, SLOTS, eventId);
        return r != null && r.toDouble() > System.currentTimeMillis();
    }

    /** Slots held now. */
    public long count() {
        return redis.execute(Command.ZCOUNT, SLOTS, "(" + System.currentTimeMillis(), "+inf")
                .toLong();
    }

    /** Frees the event's slot (a job done, failed or never sent). */
    public void release(String eventId) {
        redis.execute(Command.ZREM, SLOTS, eventId);
    }

    /**
     * Frees the event's slot and marks its job cancelled for the worker that takes it.
     *
     * @return false when the event holds no slot (nothing queued, or already done)
     */
    public boolean cancel(String eventId, Duration lease) {
        Response r = redis.execute(
                Command.EVAL,
                CANCEL,
                "2",
                SLOTS,
                CANCELLED_PREFIX + eventId,
                eventId,
                Long.toString(System.currentTimeMillis()),
                Long.toString(Math.max(1, lease.toMillis())));
        return r.toInteger() == 1;
    }

    /** Whether the event's job was cancelled after it was forwarded. */
    public boolean cancelled(String eventId) {
        return redis.execute(Command.EXISTS, CANCELLED_PREFIX + eventId).toInteger() == 1;
    }
}
