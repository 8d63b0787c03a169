package dev.faultline.store;

import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;
import java.time.temporal.ChronoUnit;
import org.jboss.logging.Logger;

/**
 * The SmallRye Fault Tolerance guards of the result cache's Redis calls: one circuit breaker that every call passes
 * (an error opens it, and for {@code faultline.cache.backoff} calls fail at once instead of each waiting for a
 * time-out; then one trial call closes it again or re-opens it; a time-out or a full connection pool means slow, not
 * down, and does not open it), and the time-out of the triage path's calls ({@code faultline.cache.triage-timeout}).
 */
final class RedisBreaker {

    private static final Logger LOG = Logger.getLogger(RedisBreaker.class);

    private final CacheConfig config;
    /** The circuit breaker every Redis call goes through. */
    final Guard breaker;
    /** The time-out of the triage path's calls (inside the breaker). */
    final Guard triageTimeout;

    private volatile long openUntilMillis;
    private volatile String lastError;

    RedisBreaker(CacheConfig config) {
        this.config = config;
        this.breaker = Guard.create()
                .withDescription("redis")
                .withCircuitBreaker()
                .requestVolumeThreshold(1)
                .failureRatio(1.0)
                .successThreshold(1)
                .delay(Math.max(1, config.backoff().toMillis()), ChronoUnit.MILLIS)
                .when(e -> !busy(e))
                .onStateChange(this::breakerState)
                .done()
                .withThreadOffload(false)
                .build();
        this.triageTimeout = Guard.create()
                .withDescription("redis-triage")
                .withTimeout()
                .duration(Math.max(1, config.triageTimeout().toMillis()), ChronoUnit.MILLIS)
                .done()
                .withThreadOffload(false)
                .build();
    }

    private void breakerState(CircuitBreakerState state) {
        openUntilMillis = state == CircuitBreakerState.OPEN
                ? System.currentTimeMillis() + config.backoff().toMillis()
                : 0;
    }

    /** Slow or saturated, not down: a time-out or a full connection pool does not start the back-off. */
    static boolean busy(Throwable e) {
        return e instanceof org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException
                || e instanceof io.smallrye.mutiny.TimeoutException
                || e.getClass().getSimpleName().equals("ConnectionPoolTooBusyException");
    }

    /** True while Redis is being skipped after an error (the breaker is open and its back-off not over). */
    boolean degraded() {
        return System.currentTimeMillis() < openUntilMillis;
    }

    String lastError() {
        return lastError;
    }

    /** A Redis call failed (the breaker has counted it: an error, not a time-out, has opened it). */
    void failed(Exception e) {
        lastError = e.toString();
        if (degraded()) {
            LOG.warnf("Redis unavailable (%s): going on without the cache for %s", e, config.backoff());
        } else {
            LOG.debugf("Redis call gave up (%s)", e);
        }
    }
}
