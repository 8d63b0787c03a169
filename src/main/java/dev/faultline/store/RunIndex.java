package dev.faultline.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Channels;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import io.quarkus.arc.All;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.hash.HashCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The run read-model behind {@code /api/runs}, in Redis: per event a small summary and where its result lies on
 * {@code attribution.results} (partition, offset); per run the counts by verdict and status. Written by the consumer
 * group {@code faultline-index} (one consumer per partition in the whole fleet, offsets committed), so a pod starts
 * without reading the topic and holds none of it; readers query Redis. A later result for the same event replaces
 * the earlier one (a result's key is its event id, so one event's results are indexed in order by one consumer).
 * Keys, all with TTL {@code faultline.index.ttl}:
 * <ul>
 * <li>{@code faultline:runs:event:<event_id>} → the event's summary (JSON);</li>
 * <li>{@code faultline:runs:run:<run_id>} → hash event id → summary;</li>
 * <li>{@code faultline:runs:counts:<run_id>} → hash {@code events}, {@code verdict:<V>}, {@code status:<S>} → count;</li>
 * <li>{@code faultline:runs:meta} → hash run id → {@code {model, benchmark, last_result_at}} (no TTL: one field per
 * run, dropped when its counts have expired);</li>
 * <li>{@code faultline:runs:seq} → arrival counter (orders failures with the same {@code produced_at}).</li>
 * </ul>
 * The full result is read from Redis or, on a miss, from the topic at the indexed offset ({@link ResultTopicReader}).
 * {@link Listener}s (live updates of the web view, the demo console) are told of results published while this process
 * runs, by a consumer of its own that starts at the end of the topic.
 */
@ApplicationScoped
public class RunIndex {

    static final String EVENT = "faultline:runs:event:";
    static final String RUN = "faultline:runs:run:";
    static final String COUNTS = "faultline:runs:counts:";
    static final String META = "faultline:runs:meta";
    static final String SEQ = "faultline:runs:seq";
    private static final Logger LOG = Logger.getLogger(RunIndex.class);

    /** One event's result in brief. */
    public record EventSummary(
            @JsonProperty("event_id") String eventId,
            @JsonProperty("run_id") String runId,
            EvalOutput.ModelRef model,
            String benchmark,
            @JsonProperty("example_id") String exampleId,
            Verdict verdict,
            AttributionStatus status,
            String reason,
            String wrong,
            String contrast,
            @JsonProperty("logit_diff") Double logitDiff,
            @JsonProperty("contrast_rank") Integer contrastRank,
            Boolean informative,
            @JsonProperty("produced_at") String producedAt,
            @JsonProperty("attributed_at") String attributedAt,
            int partition,
            long offset,
            long sequence) {}

    /** A run with its counts. */
    public record RunSummary(
            @JsonProperty("run_id") String runId,
            EvalOutput.ModelRef model,
            String benchmark,
            int events,
            @JsonProperty("by_verdict") Map<Verdict, Integer> byVerdict,
            @JsonProperty("by_status") Map<AttributionStatus, Integer> byStatus,
            @JsonProperty("last_result_at") String lastResultAt) {}

    /** A run's model, benchmark and last result time. */
    record RunMeta(
            EvalOutput.ModelRef model,
            String benchmark,
            @JsonProperty("last_result_at") String lastResultAt) {}

    /** One page of a run's failures, newest first. */
    public record Page<T>(int page, int size, int total, List<T> items) {}

    /**
     * Told of every result published while this process runs, on the consumer thread (the web view's live updates and
     * the demo console implement it); must return quickly and not throw.
     */
    public interface Listener {
        void indexed(AttributionResult result, EventSummary summary);
    }

    /**
     * Another read-model written by the fleet's index writer (group {@code faultline-index}) with each result it
     * indexes, on the writer's thread; packages that build on the store (e.g. {@code compare}) implement it, so the
     * store does not import them.
     */
    public interface ReadModel {
        void indexed(AttributionResult result);
    }

    @Inject
    ObjectMapper json;

    @Inject
    @All
    List<Listener> listeners;

    @Inject
    CheckpointIndex checkpoints;

    @Inject
    @All
    List<ReadModel> readModels;

    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "faultline.index.ttl", defaultValue = "30d")
    java.time.Duration ttl;

    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.redis.timeout", defaultValue = "10s")
    java.time.Duration timeout;

    private final RedisDataSource redis;
    private final ValueCommands<String, String> values;
    private final HashCommands<String, String, String> hashes;

    @Inject
    public RunIndex(RedisDataSource redis) {
        this.redis = redis;
        this.values = redis.value(String.class, String.class);
        this.hashes = redis.hash(String.class);
    }

    @Incoming(Channels.ATTRIBUTION_RESULTS_INDEX)
    @Blocking
    public void onResult(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return; // tombstone
        }
        AttributionResult r;
        try {
            r = json.readValue(record.value(), AttributionResult.class);
        } catch (Exception e) {
            LOG.warnf(
                    "unreadable record at %s-%d@%d skipped: %s",
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return;
        }
        add(r, record.partition(), record.offset()); // a Redis error fails the record: the consumer retries it
    }

    @Incoming(Channels.ATTRIBUTION_RESULTS_LIVE)
    @Blocking
    public void onLive(ConsumerRecord<String, String> record) {
        if (record.value() == null || listeners == null || listeners.isEmpty()) {
            return;
        }
        try {
            AttributionResult r = json.readValue(record.value(), AttributionResult.class);
            if (r.eventId() == null) {
                return;
            }
            EventSummary s = summary(r, record.partition(), record.offset(), 0);
            awaitIndexed(r.eventId(), record.partition(), record.offset());
            for (Listener l : listeners) {
                try {
                    l.indexed(r, s);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "listener %s failed on %s", l.getClass().getSimpleName(), r.eventId());
                }
            }
        } catch (Exception e) {
            LOG.debugf("unreadable live record skipped: %s", e.getMessage());
        }
    }

    /**
     * Waits (at most {@value #LIVE_WAIT_MILLIS} ms) until the index writer has this record, so that a listener that
     * reads the index sees it.
     */
    private void awaitIndexed(String eventId, int partition, long offset) throws InterruptedException {
        long deadline = System.currentTimeMillis() + LIVE_WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            EventSummary s = event(eventId).orElse(null);
            if (s != null && s.partition() == partition && s.offset() >= offset) {
                return;
            }
            Thread.sleep(20);
        }
    }

    private static final long LIVE_WAIT_MILLIS = 2000;

    private static EventSummary summary(AttributionResult r, int partition, long offset, long sequence) {
        var t = r.target();
        return new EventSummary(
                r.eventId(),
                r.runId(),
                r.model(),
                r.benchmark(),
                r.exampleId(),
                r.verdict(),
                r.status(),
                r.reason(),
                t == null ? null : t.wrong().text(),
                t == null ? null : t.contrast().text(),
                t == null ? null : t.logitDiff(),
                t == null ? null : t.contrastRank(),
                r.faithfulness() == null ? null : r.faithfulness().informative(),
                r.producedAt(),
                r.attributedAt(),
                partition,
                offset,
                sequence);
    }

    /**
     * Adds (or replaces) an event's result in Redis, in two pipelined round trips: one reads (the next arrival number,
     * the event's previous summary, the run's meta), one writes. The event's summary is read and written in separate
     * round trips: one consumer writes an event (its results share a partition), so nothing writes it in between.
     */
    public void add(AttributionResult r, int partition, long offset) {
        if (r.eventId() == null) {
            return;
        }
        try {
            long seconds = Math.max(1, ttl.toSeconds());
            String runId = r.runId() == null ? "" : r.runId();
            RedisBatch reads = new RedisBatch(redis, timeout);
            reads.add(Command.INCR, SEQ);
            reads.add(Command.GET, EVENT + r.eventId());
            reads.add(Command.HGET, META, runId);
            List<Response> read = reads.send();
            EventSummary s = summary(r, partition, offset, read.get(0).toLong());
            String previous = RedisBatch.text(read.get(1));
            String metaJson = RedisBatch.text(read.get(2));
            String value = json.writeValueAsString(s);
            RedisBatch writes = new RedisBatch(redis, timeout);
            writes.add(Command.SET, EVENT + r.eventId(), value);
            writes.add(Command.EXPIRE, EVENT + r.eventId(), seconds);
            EventSummary old = previous == null ? null : json.readValue(previous, EventSummary.class);
            String oldRun = old == null ? null : old.runId() == null ? "" : old.runId();
            if (old != null && oldRun.equals(runId) && old.offset() == offset && old.partition() == partition) {
                writes.send();
                return; // the same record again (a re-delivery after a crash): nothing else changes
            }
            if (old != null) {
                writes.add(Command.HDEL, RUN + oldRun, r.eventId());
                writes.add(Command.HINCRBY, COUNTS + oldRun, "events", -1);
                if (old.verdict() != null) {
                    writes.add(
                            Command.HINCRBY,
                            COUNTS + oldRun,
                            "verdict:" + old.verdict().name(),
                            -1);
                }
                writes.add(Command.HINCRBY, COUNTS + oldRun, "status:" + old.status(), -1);
            }
            writes.add(Command.HSET, RUN + runId, r.eventId(), value);
            writes.add(Command.EXPIRE, RUN + runId, seconds);
            writes.add(Command.HINCRBY, COUNTS + runId, "events", 1);
            if (s.verdict() != null) {
                writes.add(
                        Command.HINCRBY,
                        COUNTS + runId,
                        "verdict:" + s.verdict().name(),
                        1);
            }
            writes.add(Command.HINCRBY, COUNTS + runId, "status:" + s.status(), 1);
            writes.add(Command.EXPIRE, COUNTS + runId, seconds);
            RunMeta meta = metaJson == null ? null : json.readValue(metaJson, RunMeta.class);
            String last = meta == null ? null : meta.lastResultAt();
            if (s.attributedAt() != null && (last == null || s.attributedAt().compareTo(last) > 0)) {
                last = s.attributedAt();
            }
            writes.add(Command.HSET, META, runId, json.writeValueAsString(new RunMeta(r.model(), r.benchmark(), last)));
            writes.send();
            checkpoints.indexed(r, s);
            for (ReadModel m : readModels) {
                m.indexed(r);
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("summary of " + r.eventId() + " not serialisable", e);
        }
    }

    public Optional<EventSummary> event(String eventId) {
        try {
            String v = values.get(EVENT + eventId);
            return Optional.ofNullable(v == null ? null : json.readValue(v, EventSummary.class));
        } catch (Exception e) {
            LOG.warnf("run index not read from Redis: %s", e.getMessage());
            return Optional.empty();
        }
    }

    /** Every run with its counts, the most recently updated first. */
    public List<RunSummary> runs() {
        List<RunSummary> out = new ArrayList<>();
        try {
            for (Map.Entry<String, String> e : hashes.hgetall(META).entrySet()) {
                summarize(e.getKey(), e.getValue()).ifPresent(out::add);
            }
        } catch (RuntimeException e) {
            LOG.warnf("runs not read from Redis: %s", e.getMessage());
        }
        out.sort(Comparator.comparing((RunSummary r) -> r.lastResultAt() == null ? "" : r.lastResultAt())
                .reversed());
        return out;
    }

    public Optional<RunSummary> run(String runId) {
        try {
            return summarize(runId, hashes.hget(META, runId));
        } catch (RuntimeException e) {
            LOG.warnf("run %s not read from Redis: %s", runId, e.getMessage());
            return Optional.empty();
        }
    }

    /** A run's failures (incorrect events, attributed or skipped), newest first; {@code status} filters when set. */
    public Page<EventSummary> failures(String runId, int page, int size, AttributionStatus status) {
        if (page < 0 || size < 1 || size > 1000) {
            throw new IllegalArgumentException(
                    "page must be >= 0 and size in 1..1000, got page=" + page + " size=" + size);
        }
        List<EventSummary> all = new ArrayList<>();
        for (String v : hashes.hgetall(RUN + runId).values()) {
            EventSummary s = parse(v);
            if (s != null && s.verdict() == Verdict.INCORRECT && (status == null || s.status() == status)) {
                all.add(s);
            }
        }
        all.sort(Comparator.comparing((EventSummary s) -> s.producedAt() == null ? "" : s.producedAt())
                .thenComparingLong(EventSummary::sequence)
                .reversed());
        int from = Math.min(all.size(), page * size);
        return new Page<>(page, size, all.size(), all.subList(from, Math.min(all.size(), from + size)));
    }

    private EventSummary parse(String v) {
        try {
            return json.readValue(v, EventSummary.class);
        } catch (Exception e) {
            return null;
        }
    }

    private Optional<RunSummary> summarize(String runId, String metaJson) {
        if (metaJson == null) {
            return Optional.empty();
        }
        Map<String, String> counts = hashes.hgetall(COUNTS + runId);
        int events = counts.isEmpty() ? 0 : Integer.parseInt(counts.getOrDefault("events", "0"));
        if (events <= 0) {
            if (counts.isEmpty()) {
                hashes.hdel(META, runId); // its counts expired
            }
            return Optional.empty();
        }
        RunMeta meta;
        try {
            meta = json.readValue(metaJson, RunMeta.class);
        } catch (Exception e) {
            return Optional.empty();
        }
        Map<Verdict, Integer> byVerdict = new EnumMap<>(Verdict.class);
        Map<AttributionStatus, Integer> byStatus = new EnumMap<>(AttributionStatus.class);
        counts.forEach((k, v) -> {
            int n = Integer.parseInt(v);
            if (n <= 0) {
                return;
            }
            if (k.startsWith("verdict:")) {
                byVerdict.put(Verdict.valueOf(k.substring(8)), n);
            } else if (k.startsWith("status:") && !k.equals("status:null")) {
                byStatus.put(AttributionStatus.valueOf(k.substring(7)), n);
            }
        });
        return Optional.of(new RunSummary(
                runId,
                meta.model(),
                meta.benchmark(),
                events,
                new TreeMap<>(byVerdict),
                new TreeMap<>(byStatus),
                meta.lastResultAt()));
    }
}
