package dev.faultline.store;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code faultline-redis} in readiness: always UP (a pod without Redis still triages, attributes and publishes), with
 * {@code redis=UP|DOWN} and {@code degraded}. Kubernetes keeps such a pod; the metric {@code faultline_redis_up}, its
 * alert {@code FaultlineRedisDown} and the DOWN {@code faultline-result-cache} dependency check report the outage.
 */
@Readiness
@ApplicationScoped
public class RedisReadiness implements AsyncHealthCheck {

    @Inject
    RedisProbe probe;

    @Override
    public Uni<HealthCheckResponse> call() {
        return probe.probe().map(RedisReadiness::response);
    }

    static HealthCheckResponse response(RedisProbe.State s) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("faultline-redis")
                .up()
                .withData("redis", s.up() ? "UP" : "DOWN")
                .withData("degraded", !s.up());
        if (!s.up()) {
            b.withData(
                    "impact",
                    "results are still published; repeated inputs are recomputed, and an event "
                            + "re-delivered to another process may be published again");
        }
        return b.build();
    }
}
