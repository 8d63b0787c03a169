package dev.faultline.store;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * {@code faultline_redis_up}: 1 while Redis answers PING (checked every 10 s, off the request path) and the result
 * cache is not skipping Redis after errors, else 0. The alert {@code FaultlineRedisDown} reads it.
 */
@ApplicationScoped
public class RedisUpGauge {

    private static final Logger LOG = Logger.getLogger(RedisUpGauge.class);
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(2);

    private final AtomicInteger pingOk = new AtomicInteger(1);
    private ScheduledExecutorService timer;

    @Inject
    ReactiveRedisDataSource redis;

    @Inject
    ResultCache cache;

    @Inject
    MeterRegistry registry;

    void start(@Observes StartupEvent ev) {
        Gauge.builder("faultline_redis_up", this, RedisUpGauge::value)
                .description("1 while Redis answers and the result cache uses it, else 0")
                .register(registry);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "faultline-redis-ping");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::ping, 0, 10, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent ev) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void ping() {
        try {
            redis.execute("PING").await().atMost(PING_TIMEOUT);
            pingOk.set(1);
        } catch (RuntimeException e) {
            if (pingOk.getAndSet(0) == 1) {
                LOG.warnf("Redis does not answer PING: %s", e.getMessage());
            }
        }
    }

    double value() {
        return pingOk.get() == 1 && !cache.degraded() ? 1.0 : 0.0;
    }
}
