package dev.faultline.metrics;

import dev.faultline.contract.EvalOutput;
import dev.faultline.triage.ScoredEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Ingestion counters: {@code faultline_events_total{benchmark,model,revision,verdict}} for every scored event and
 * {@code faultline_dlq_total{reason}} for every record sent to the DLQ, and {@code faultline_ingest_lag_seconds}
 * (record timestamp to triage). Counters are cached per label set.
 */
@ApplicationScoped
public class IngestMetrics {

    /** Micrometer name of the scored-event counter (Prometheus: {@code faultline_events_total}). */
    public static final String EVENTS = "faultline.events";
    /** Micrometer name of the DLQ counter (Prometheus: {@code faultline_dlq_total}). */
    public static final String DLQ = "faultline.dlq";

    private record EventLabels(String benchmark, String model, String revision, String verdict) {}

    /** Micrometer name of the ingestion lag timer (Prometheus: {@code faultline_ingest_lag_seconds}). */
    public static final String LAG = "faultline.ingest.lag";

    private final MeterRegistry registry;
    private final Map<EventLabels, Counter> events = new ConcurrentHashMap<>();
    private final Map<String, Counter> dlq = new ConcurrentHashMap<>();
    private final Timer lag;

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.lag = Timer.builder(LAG)
                .description("Record timestamp (the producer's send, or the broker's append) to triage receiving it")
                .publishPercentileHistogram()
                .register(registry);
    }

    /** Records how long a polled record waited: now minus its Kafka timestamp (skipped when it has none). */
    public void received(long recordTimestampMillis) {
        if (recordTimestampMillis > 0) {
            lag.record(Math.max(0, System.currentTimeMillis() - recordTimestampMillis), TimeUnit.MILLISECONDS);
        }
    }

    /** Counts one scored event. */
    public void scored(ScoredEvent scored) {
        EvalOutput e = scored.event();
        EvalOutput.ModelRef model = e.model();
        EventLabels labels = new EventLabels(
                orNone(e.benchmark()),
                model == null ? "none" : orNone(model.name()),
                model == null || model.revision() == null ? "main" : model.revision(),
                scored.verdict().name());
        events.computeIfAbsent(
                        labels,
                        l -> Counter.builder(EVENTS)
                                .description("Scored evaluation events by verdict")
                                .tag("benchmark", l.benchmark())
                                .tag("model", l.model())
                                .tag("revision", l.revision())
                                .tag("verdict", l.verdict())
                                .register(registry))
                .increment();
    }

    /** Counts one record sent to the DLQ for {@code reason}. */
    public void deadLettered(String reason) {
        dlq.computeIfAbsent(
                        reason,
                        r -> Counter.builder(DLQ)
                                .description("Records sent to eval.outputs.dlq by reason")
                                .tag("reason", r)
                                .register(registry))
                .increment();
    }

    private static String orNone(String s) {
        return s == null || s.isEmpty() ? "none" : s;
    }
}
