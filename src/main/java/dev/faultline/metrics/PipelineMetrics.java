package dev.faultline.metrics;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The pipeline's Prometheus metrics (docs/pipeline.md, Metrics). Labels are bounded: statuses and phases are enums, and
 * benchmark, model and segment names are capped ({@value #MAX_LABEL_VALUES} distinct values each, then {@code other}).
 */
@ApplicationScoped
public class PipelineMetrics {

    static final int MAX_LABEL_VALUES = 50;
    private static final Pattern LABEL_SAFE = Pattern.compile("[A-Za-z0-9_.:/@-]{1,80}");

    private final MeterRegistry registry;
    private final AtomicLong incorrect = new AtomicLong();
    private final AtomicLong attributed = new AtomicLong();
    private final Set<String> benchmarks = ConcurrentHashMap.newKeySet();
    private final Set<String> models = ConcurrentHashMap.newKeySet();
    private final Set<String> segments = ConcurrentHashMap.newKeySet();

    @Inject
    public PipelineMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder(
                        "faultline.contrast.coverage",
                        this,
                        m -> m.incorrect.get() == 0 ? 0.0 : (double) m.attributed.get() / m.incorrect.get())
                .description("Attributed failures / incorrect events processed by this worker")
                .register(registry);
        for (String r : new String[] {"hit", "miss", "error"}) {
            cacheCounter(r);
        }
    }

    /** A job given up after its attempts ran out, sent to attribution.jobs.dlq. */
    public void jobDeadLettered() {
        Counter.builder("faultline.jobs.dead.lettered")
                .description(
                        "Attribution jobs given up after faultline.attribution.max-attempts, sent to attribution.jobs.dlq")
                .register(registry)
                .increment();
    }

    private Counter cacheCounter(String result) {
        return Counter.builder("faultline.cache.requests")
                .description("Redis result-cache lookups by outcome")
                .tag("result", result)
                .register(registry);
    }

    /** A result-cache lookup: hit, miss or error. */
    public void cache(String result) {
        cacheCounter(result).increment();
    }

    /** One result published (every event, every status). */
    public void published(AttributionResult r, boolean fromWorker) {
        String benchmark = bounded(benchmarks, r.benchmark());
        String model = r.model() == null ? "unknown" : bounded(models, r.model().name());
        String revision = r.model() == null || r.model().revision() == null
                ? "main"
                : r.model().revision();
        Counter.builder("faultline.attributions")
                .description("Results published, by status")
                .tag("status", r.status().name())
                .tag("benchmark", benchmark)
                .tag("model", model)
                .register(registry)
                .increment();
        if (fromWorker) {
            incorrect.incrementAndGet();
            if (r.status() == AttributionStatus.ATTRIBUTED) {
                attributed.incrementAndGet();
            }
        }
        if (r.target() != null) {
            DistributionSummary.builder("faultline.logit.diff")
                    .description("logit(wrong) - logit(contrast) of failures with a contrast pair")
                    .serviceLevelObjectives(0.25, 0.5, 1, 2, 4, 8, 16)
                    .tag("benchmark", benchmark)
                    .tag("model", model)
                    .register(registry)
                    .record(r.target().logitDiff());
        }
        if (r.status() != AttributionStatus.ATTRIBUTED) {
            return;
        }
        if (r.segments() != null) {
            for (AttributionResult.SegmentRelevance s : r.segments()) {
                DistributionSummary.builder("faultline.segment.relevance")
                        .description("Relevance (logits) of each segment of attributed failures")
                        .tag("segment", bounded(segments, s.name()))
                        .tag("benchmark", benchmark)
                        .register(registry)
                        .record(s.relevance());
            }
        }
        if (r.faithfulness() != null) {
            Counter.builder("faultline.attribution.informative")
                    .description("Attributed failures whose top-k perturbation beats random")
                    .tag("informative", Boolean.toString(r.faithfulness().informative()))
                    .tag("benchmark", benchmark)
                    .register(registry)
                    .increment();
        }
        if (r.conservation() != null) {
            double denom = Math.max(Math.abs(r.conservation().logitDiff()), 1e-12);
            DistributionSummary.builder("faultline.conservation.error")
                    .description("|residual of the conservation identity| / |logit diff|")
                    .register(registry)
                    .record(Math.abs(r.conservation().residual()) / denom);
        }
    }

    /** Wall time of one phase (tokenize, contrast, cache, forward, backward, faithfulness, publish, total). */
    public void phase(String phase, double millis) {
        Timer.builder("faultline.attribution")
                .description("Attribution time by phase")
                .tag("phase", phase)
                .publishPercentileHistogram()
                .register(registry)
                .record((long) (millis * 1e6), TimeUnit.NANOSECONDS);
    }

    private static String bounded(Set<String> seen, String value) {
        if (value == null || !LABEL_SAFE.matcher(value).matches()) {
            return "other";
        }
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() >= MAX_LABEL_VALUES) {
            return "other";
        }
        seen.add(value);
        return value;
    }
}
