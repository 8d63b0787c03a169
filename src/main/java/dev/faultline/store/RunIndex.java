package dev.faultline.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import io.quarkus.arc.All;

/**
 * The run read-model behind {@code /api/runs}: per event a small summary and where its result lies on
 * {@code attribution.results} (partition, offset); per run the counts by verdict and status. Kept in memory and fed
 * by a consumer of the results topic that reads it from the beginning under a group id unique to this process, so a
 * restart rebuilds it from the topic (the record); the full result is read from Redis or, on a miss, from the topic at
 * the indexed offset ({@link ResultTopicReader}). A later result for the same event replaces the earlier one.
 */
@ApplicationScoped
public class RunIndex {

    /** Incoming channel reading {@code attribution.results} from the start. */
    public static final String CHANNEL = "attribution-results-index";
    private static final Logger LOG = Logger.getLogger(RunIndex.class);

    /** One event's result in brief. */
    public record EventSummary(@JsonProperty("event_id") String eventId, @JsonProperty("run_id") String runId,
            EvalOutput.ModelRef model, String benchmark, @JsonProperty("example_id") String exampleId, Verdict verdict,
            AttributionStatus status, String reason, String wrong, String contrast,
            @JsonProperty("logit_diff") Double logitDiff, @JsonProperty("contrast_rank") Integer contrastRank,
            Boolean informative, @JsonProperty("produced_at") String producedAt,
            @JsonProperty("attributed_at") String attributedAt, int partition, long offset, long sequence) {
    }

    /** A run with its counts. */
    public record RunSummary(@JsonProperty("run_id") String runId, EvalOutput.ModelRef model, String benchmark,
            int events, @JsonProperty("by_verdict") Map<Verdict, Integer> byVerdict,
            @JsonProperty("by_status") Map<AttributionStatus, Integer> byStatus,
            @JsonProperty("last_result_at") String lastResultAt) {
    }

    /** One page of a run's failures, newest first. */
    public record Page<T>(int page, int size, int total, List<T> items) {
    }

    /**
     * Told of every result the index takes in, on the consumer thread, after it is indexed (the web view's live
     * updates and checkpoint read-model implement it); must return quickly and not throw.
     */
    public interface Listener {
        void indexed(AttributionResult result, EventSummary summary);
    }

    private final Map<String, EventSummary> events = new ConcurrentHashMap<>();
    private final Map<String, Map<String, EventSummary>> byRun = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    @Inject
    ObjectMapper json;
    @Inject
    @All
    List<Listener> listeners;

    @Incoming(CHANNEL)
    public void onResult(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return; // tombstone
        }
        try {
            AttributionResult r = json.readValue(record.value(), AttributionResult.class);
            add(r, record.partition(), record.offset());
        } catch (Exception e) {
            LOG.warnf("unreadable record at %s-%d@%d skipped: %s", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
        }
    }

    /** Adds (or replaces) an event's result. */
    public void add(AttributionResult r, int partition, long offset) {
        if (r.eventId() == null) {
            return;
        }
        var t = r.target();
        EventSummary s = new EventSummary(r.eventId(), r.runId(), r.model(), r.benchmark(), r.exampleId(), r.verdict(),
                r.status(), r.reason(), t == null ? null : t.wrong().text(), t == null ? null : t.contrast().text(),
                t == null ? null : t.logitDiff(), t == null ? null : t.contrastRank(),
                r.faithfulness() == null ? null : r.faithfulness().informative(), r.producedAt(), r.attributedAt(),
                partition, offset, sequence.incrementAndGet());
        events.put(r.eventId(), s);
        byRun.computeIfAbsent(r.runId() == null ? "" : r.runId(), k -> new ConcurrentHashMap<>()).put(r.eventId(), s);
        if (listeners != null) {
            for (Listener l : listeners) {
                try {
                    l.indexed(r, s);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "listener %s failed on %s", l.getClass().getSimpleName(), r.eventId());
                }
            }
        }
    }

    public Optional<EventSummary> event(String eventId) {
        return Optional.ofNullable(events.get(eventId));
    }

    /** Every run with its counts, the most recently updated first. */
    public List<RunSummary> runs() {
        List<RunSummary> out = new ArrayList<>();
        byRun.forEach((runId, evs) -> out.add(summarize(runId, evs)));
        out.sort(Comparator.comparing((RunSummary r) -> r.lastResultAt() == null ? "" : r.lastResultAt()).reversed());
        return out;
    }

    public Optional<RunSummary> run(String runId) {
        Map<String, EventSummary> evs = byRun.get(runId);
        return evs == null ? Optional.empty() : Optional.of(summarize(runId, evs));
    }

    /** A run's failures (incorrect events, attributed or skipped), newest first; {@code status} filters when set. */
    public Page<EventSummary> failures(String runId, int page, int size, AttributionStatus status) {
        if (page < 0 || size < 1 || size > 1000) {
            throw new IllegalArgumentException("page must be >= 0 and size in 1..1000, got page=" + page + " size=" + size);
        }
        List<EventSummary> all = byRun.getOrDefault(runId, Map.of()).values().stream()
                .filter(s -> s.verdict() == Verdict.INCORRECT && (status == null || s.status() == status))
                .sorted(Comparator.comparing((EventSummary s) -> s.producedAt() == null ? "" : s.producedAt())
                        .thenComparingLong(EventSummary::sequence).reversed())
                .toList();
        int from = Math.min(all.size(), page * size);
        return new Page<>(page, size, all.size(), all.subList(from, Math.min(all.size(), from + size)));
    }

    private static RunSummary summarize(String runId, Map<String, EventSummary> evs) {
        Map<Verdict, Integer> byVerdict = new EnumMap<>(Verdict.class);
        Map<AttributionStatus, Integer> byStatus = new EnumMap<>(AttributionStatus.class);
        String last = null;
        EventSummary any = null;
        for (EventSummary s : evs.values()) {
            any = s;
            if (s.verdict() != null) {
                byVerdict.merge(s.verdict(), 1, Integer::sum);
            }
            byStatus.merge(s.status(), 1, Integer::sum);
            if (s.attributedAt() != null && (last == null || s.attributedAt().compareTo(last) > 0)) {
                last = s.attributedAt();
            }
        }
        return new RunSummary(runId, any == null ? null : any.model(), any == null ? null : any.benchmark(),
                evs.size(), new TreeMap<>(byVerdict), new TreeMap<>(byStatus), last);
    }
}
