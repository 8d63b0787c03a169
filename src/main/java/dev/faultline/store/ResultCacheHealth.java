package dev.faultline.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the result cache: DOWN (with {@code degraded=true}) while Redis is being skipped after errors.
 * Attribution goes on without Redis (the results topic is the record), so this signals degradation, not data loss.
 */
@Readiness
@ApplicationScoped
public class ResultCacheHealth implements HealthCheck {

    @Inject
    ResultCache cache;

    @Override
    public HealthCheckResponse call() {
        boolean degraded = cache.degraded();
        var b = HealthCheckResponse.named("faultline-result-cache").status(!degraded).withData("degraded", degraded);
        if (degraded && cache.lastError() != null) {
            b.withData("error", cache.lastError());
        }
        return b.build();
    }
}
