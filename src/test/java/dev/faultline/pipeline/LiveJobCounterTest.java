package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.metrics.MetersOnStop;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * {@code faultline_jobs_queued} across an application restarted in one JVM: Quarkus injects Micrometer's global
 * registry, which outlives the application, so the counter of the second application must be the one exported.
 */
class LiveJobCounterTest {

    @Test
    void theGaugeReadsTheLiveCounterAndASecondCounterAfterTheFirstApplicationStops() {
        CompositeMeterRegistry global = new CompositeMeterRegistry();
        global.add(new SimpleMeterRegistry());
        LiveJobCounter first = new LiveJobCounter(global);
        first.started();
        first.started();
        assertThat(global.get("faultline.jobs.queued").gauge().value()).isEqualTo(2.0);

        MetersOnStop.removeAll(global); // the first application stops
        LiveJobCounter second = new LiveJobCounter(global);
        second.started();
        assertThat(global.get("faultline.jobs.queued").gauges())
                .singleElement()
                .satisfies(g -> assertThat(g.value())
                        .as("the second application's count, not the first's")
                        .isEqualTo(1.0));
        assertThat(first.inFlight()).isEqualTo(2);
    }
}
