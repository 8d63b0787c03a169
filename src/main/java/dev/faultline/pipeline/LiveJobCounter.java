package dev.faultline.pipeline;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the attribution worker's live jobs ({@link AttributionWorker} marks each start and end) and exports the
 * count as {@code faultline_jobs_queued}.
 */
@Singleton
@Startup
public class LiveJobCounter implements LiveJobs {

    private final AtomicInteger inFlight = new AtomicInteger();
    private final MeterRegistry registry;
    private final Gauge gauge;

    public LiveJobCounter(MeterRegistry registry) {
        this.registry = registry;
        this.gauge = Gauge.builder("faultline.jobs.queued", inFlight, AtomicInteger::get)
                .description("Attribution jobs taken from attribution.jobs by this worker and not finished")
                .register(registry);
    }

    /**
     * Removes the gauge with this bean: the registry Quarkus injects is Micrometer's global one, which outlives an
     * application restarted in the same JVM (tests), and a gauge registered again under the same name would be the
     * old one, reading this bean's state only through a weak reference.
     */
    @PreDestroy
    void removeGauge() {
        registry.remove(gauge);
    }

    /** A job was taken and is about to run. */
    void started() {
        inFlight.incrementAndGet();
    }

    /** A job ended (result published or failed). */
    void finished() {
        inFlight.decrementAndGet();
    }

    @Override
    public int inFlight() {
        return inFlight.get();
    }
}
