package dev.faultline.store;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The Redis result cache ({@code faultline.cache.*}). */
@ConfigMapping(prefix = "faultline.cache")
public interface CacheConfig {

    /** How long results and event-to-result links live in Redis. */
    @WithDefault("7d")
    Duration ttl();

    /** After a Redis error, skip Redis for this long (counted as errors) instead of waiting on every event. */
    @WithDefault("5s")
    Duration backoff();

    /** Longest wait for Redis on the triage path before a batch's incorrect events go the long way (jobs). */
    @WithDefault("500ms")
    Duration triageTimeout();

    /**
     * Characters of result JSON kept in this process (a Caffeine cache weighed in characters) in front of Redis, by Redis key:
     * a repeated input is then answered with one Redis round trip (the event and input links) instead of two. A
     * stored result's key is never rewritten while it lives (the first result of a content key stays; per-event keys
     * belong to one event), so the copies stay right within the TTL. 0 turns it off.
     */
    @WithDefault("16000000")
    long localMaxChars();
}
