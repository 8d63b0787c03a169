package dev.faultline.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Removes every meter from the registry when the application stops, as Quarkus itself does in dev mode only. The
 * registry Quarkus injects is Micrometer's global one, which outlives an application restarted in the same JVM
 * (tests): a gauge registered again under its name would otherwise be the old application's, reading a bean of that
 * application through a weak reference, and left out of {@code /q/metrics} once that bean is collected.
 */
@ApplicationScoped
public class MetersOnStop {

    @Inject
    MeterRegistry registry;

    void stop(@Observes ShutdownEvent ev) {
        removeAll(registry);
    }

    /** Removes every meter of {@code registry} (and of the registries it feeds). */
    public static void removeAll(MeterRegistry registry) {
        registry.getMeters().forEach(registry::remove);
    }
}
