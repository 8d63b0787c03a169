package dev.faultline.store;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.health.api.HealthGroup;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * {@code faultline-result-cache} in the {@code dependencies} group ({@code /q/health/group/dependencies}): DOWN, with
 * {@code degraded=true} and the error, while Redis does not answer or is being skipped after errors. Not a readiness
 * check: attribution goes on without Redis (the results topic is the record), so a pod without Redis still serves;
 * readiness carries the same state as {@link RedisReadiness} (UP, degraded).
 */
@HealthGroup(ResultCacheHealth.GROUP)
@ApplicationScoped
public class ResultCacheHealth implements AsyncHealthCheck {

    /** The health group of the service's dependencies. */
    public static final String GROUP = "dependencies";

    @Inject
    RedisProbe probe;

    @Override
    public Uni<HealthCheckResponse> call() {
        return probe.probe().map(ResultCacheHealth::response);
    }

    static HealthCheckResponse response(RedisProbe.State s) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("faultline-result-cache")
                .status(s.up())
                .withData("degraded", !s.up());
        if (!s.up() && s.error() != null) {
            b.withData("error", s.error());
        }
        return b.build();
    }
}
