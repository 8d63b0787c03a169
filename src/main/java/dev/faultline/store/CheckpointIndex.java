package dev.faultline.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.hash.HashCommands;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.set.SetCommands;
import io.vertx.mutiny.redis.client.Command;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Read-model of the checkpoint page: per model, per event the few numbers a revision's row aggregates (verdict,
 * status, Δℓ, normalised relevance per segment), in Redis: written by the {@link RunIndex} writer (group
 * {@code faultline-index}), read by every pod; a later result for an event replaces the earlier one. Keys (TTL
 * {@code faultline.index.ttl}): {@code faultline:ckpt:points:<model>} (hash event id → point with its arrival number),
 * {@code faultline:ckpt:seen:<model>} (hash revision → arrival number of its first result),
 * {@code faultline:ckpt:steps:<model>} (hash revision → step), {@code faultline:ckpt:models} (set). A result is
 * written in two pipelined round trips (the second once the event's stored arrival number is known).
 */
@ApplicationScoped
public class CheckpointIndex {

    /** One event's contribution. */
    public record Point(
            String eventId,
            String runId,
            String revision,
            Long step,
            String benchmark,
            Verdict verdict,
            AttributionStatus status,
            Double logitDiff,
            Boolean informative,
            Map<String, Double> segments) {}

    /** Aggregates of one revision. */
    public record Revision(
            String name,
            Long step,
            long order,
            int events,
            int correct,
            int incorrect,
            int withPair,
            int attributed,
            int informative,
            Double medianLogitDiff,
            Double meanLogitDiff,
            Map<String, Double> meanSegment,
            Set<String> runs) {}

    /** A point as stored, with the arrival number of its event's first result. */
    record Stored(long seq, Point point) {}

    static final String POINTS = "faultline:ckpt:points:";
    static final String SEEN = "faultline:ckpt:seen:";
    static final String STEPS = "faultline:ckpt:steps:";
    static final String MODELS = "faultline:ckpt:models";

    private final HashCommands<String, String, String> hashes;
    private final SetCommands<String, String> sets;
    private final KeyCommands<String> keys;

    @Inject
    ObjectMapper json;

    @ConfigProperty(name = "faultline.index.ttl", defaultValue = "30d")
    java.time.Duration ttl;

    @ConfigProperty(name = "quarkus.redis.timeout", defaultValue = "10s")
    java.time.Duration timeout;

    private final RedisDataSource redis;

    @Inject
    public CheckpointIndex(RedisDataSource redis) {
        this.redis = redis;
        this.hashes = redis.hash(String.class);
        this.sets = redis.set(String.class);
        this.keys = redis.key(String.class);
    }

    /** Takes one indexed result (the run index's writer calls it; a Redis error propagates to it). */
    public void indexed(AttributionResult r, RunIndex.EventSummary s) {
        if (r.model() == null || r.model().name() == null) {
            return;
        }
        String model = r.model().name();
        String revision = r.model().revision() == null ? "main" : r.model().revision();
        Map<String, Double> segs = new LinkedHashMap<>();
        if (r.status() == AttributionStatus.ATTRIBUTED && r.segments() != null) {
            for (var seg : r.segments()) {
                if (seg.normalized() != null) {
                    segs.put(seg.name(), seg.normalized());
                }
            }
        }
        Point p = new Point(
                r.eventId(),
                r.runId(),
                revision,
                r.model().step(),
                r.benchmark(),
                r.verdict(),
                r.status(),
                r.target() == null ? null : r.target().logitDiff(),
                r.faithfulness() == null ? null : r.faithfulness().informative(),
                segs);
        long seconds = Math.max(1, ttl.toSeconds());
        RedisBatch first = new RedisBatch(redis, timeout);
        first.add(Command.SADD, MODELS, model);
        first.add(Command.HSETNX, SEEN + model, revision, s.sequence());
        first.add(Command.EXPIRE, SEEN + model, seconds);
        if (r.model().step() != null) {
            first.add(Command.HSET, STEPS + model, revision, r.model().step());
            first.add(Command.EXPIRE, STEPS + model, seconds);
        }
        int oldAt = first.add(Command.HGET, POINTS + model, r.eventId());
        String old = RedisBatch.text(first.send().get(oldAt));
        long seq = s.sequence();
        RedisBatch second = new RedisBatch(redis, timeout);
        try {
            if (old != null) {
                seq = json.readValue(old, Stored.class).seq(); // keeps its place
            }
            second.add(Command.HSET, POINTS + model, r.eventId(), json.writeValueAsString(new Stored(seq, p)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        second.add(Command.EXPIRE, POINTS + model, seconds);
        second.send();
    }

    public Set<String> models() {
        Set<String> out = new TreeSet<>();
        for (String m : sets.smembers(MODELS)) {
            if (keys.exists(POINTS + m)) {
                out.add(m);
            }
        }
        return out;
    }

    public boolean knows(String model) {
        return keys.exists(POINTS + model);
    }

    private Map<String, Long> longs(String key) {
        Map<String, Long> out = new java.util.HashMap<>();
        hashes.hgetall(key).forEach((k, v) -> out.put(k, Long.parseLong(v)));
        return out;
    }

    /** Benchmarks seen for a model, sorted. */
    public Set<String> benchmarks(String model) {
        Set<String> out = new TreeSet<>();
        points(model, null).forEach(p -> {
            if (p.benchmark() != null) {
                out.add(p.benchmark());
            }
        });
        return out;
    }

    /** Segment names in first-seen order over a model's attributed failures. */
    public List<String> segmentNames(String model, String benchmark) {
        Set<String> names = new LinkedHashSet<>();
        for (Point p : points(model, benchmark)) {
            names.addAll(p.segments().keySet());
        }
        return new ArrayList<>(names);
    }

    /** A model's revisions in training order ({@link RevisionOrder}), optionally for one benchmark. */
    public List<Revision> revisions(String model, String benchmark) {
        Map<String, List<Point>> byRevision = new LinkedHashMap<>();
        for (Point p : points(model, benchmark)) {
            byRevision.computeIfAbsent(p.revision(), k -> new ArrayList<>()).add(p);
        }
        Map<String, Long> seen = longs(SEEN + model);
        Map<String, Long> stepOf = longs(STEPS + model);
        List<RevisionOrder.Revision> order = new ArrayList<>();
        byRevision
                .keySet()
                .forEach(name -> order.add(
                        new RevisionOrder.Revision(name, stepOf.get(name), seen.getOrDefault(name, Long.MAX_VALUE))));
        List<Revision> out = new ArrayList<>();
        long i = 0;
        for (RevisionOrder.Revision rev : RevisionOrder.sorted(order)) {
            out.add(aggregate(rev, i++, byRevision.get(rev.name())));
        }
        return out;
    }

    /** A model's points in the order their events first arrived. */
    private List<Point> points(String model, String benchmark) {
        List<Stored> all = new ArrayList<>();
        for (String v : hashes.hgetall(POINTS + model).values()) {
            try {
                all.add(json.readValue(v, Stored.class));
            } catch (Exception e) {
                // an unreadable entry is left out
            }
        }
        all.sort(java.util.Comparator.comparingLong(Stored::seq));
        return all.stream()
                .map(Stored::point)
                .filter(p -> benchmark == null || benchmark.equals(p.benchmark()))
                .toList();
    }

    static Revision aggregate(RevisionOrder.Revision rev, long order, List<Point> points) {
        int correct = 0;
        int incorrect = 0;
        List<Double> diffs = new ArrayList<>();
        AttributedTally tally = new AttributedTally();
        Set<String> runs = new TreeSet<>();
        for (Point p : points) {
            if (p.runId() != null) {
                runs.add(p.runId());
            }
            if (p.verdict() == Verdict.CORRECT) {
                correct++;
            } else if (p.verdict() == Verdict.INCORRECT) {
                incorrect++;
                if (p.logitDiff() != null && Double.isFinite(p.logitDiff())) {
                    diffs.add(p.logitDiff());
                }
            }
            tally.add(p.status(), p.informative(), p.segments());
        }
        return new Revision(
                rev.name(),
                rev.step(),
                order,
                points.size(),
                correct,
                incorrect,
                diffs.size(),
                tally.attributed(),
                tally.informative(),
                median(diffs),
                diffs.isEmpty()
                        ? null
                        : diffs.stream()
                                .mapToDouble(Double::doubleValue)
                                .average()
                                .orElse(Double.NaN),
                tally.segmentMeans(),
                runs);
    }

    static Double median(List<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
