package dev.faultline.store;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The Redis result cache ({@code faultline.cache.*}). */
@ConfigMapping(prefix = "faultline.cache")
public interface CacheConfig {

    /** How long results and event-to-result links live in Redis. */
    @WithDefault("7d")
    Duration ttl();

    /** After a Redis error, skip Redis for this long (counted as errors) instead of waiting on every event. */
    @WithDefault("5s")
    Duration backoff();
}
