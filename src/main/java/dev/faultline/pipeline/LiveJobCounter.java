package dev.faultline.pipeline;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
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

    public LiveJobCounter(MeterRegistry registry) {
        Gauge.builder("faultline.jobs.queued", inFlight, AtomicInteger::get)
                .description("Attribution jobs taken from attribution.jobs by this worker and not finished")
                .register(registry);
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
