package dev.faultline.store;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/**
 * Whether Redis is usable now: it answers PING within {@value #PING_MILLIS} ms and the result cache is not skipping
 * it after errors. Read by the health checks ({@link ResultCacheHealth}, {@link RedisReadiness}); non-blocking.
 */
@ApplicationScoped
public class RedisProbe {

    static final long PING_MILLIS = 1000;

    /** What one probe found: up, or the error. */
    public record State(boolean up, String error) {}

    @Inject
    ReactiveRedisDataSource redis;

    @Inject
    ResultCache cache;

    /** Pings Redis (bounded); never fails. */
    public Uni<State> probe() {
        if (cache.degraded()) {
            return Uni.createFrom().item(new State(false, cache.lastError()));
        }
        return redis.execute("PING")
                .ifNoItem()
                .after(Duration.ofMillis(PING_MILLIS))
                .fail()
                .map(r -> new State(true, null))
                .onFailure()
                .recoverWithItem(e -> new State(false, e.toString()));
    }
}
