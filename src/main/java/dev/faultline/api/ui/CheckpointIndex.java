package dev.faultline.api.ui;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.store.RunIndex;

/**
 * Read-model of the checkpoint page: per model, per event the few numbers a revision's row aggregates (verdict,
 * status, Δℓ, normalised relevance per segment). Fed by {@link RunIndex} (so rebuilt from the results topic on
 * restart); a later result for an event replaces the earlier one.
 */
@ApplicationScoped
public class CheckpointIndex implements RunIndex.Listener {

    /** One event's contribution. */
    public record Point(String eventId, String runId, String revision, Long step, String benchmark, Verdict verdict,
            AttributionStatus status, Double logitDiff, Boolean informative, Map<String, Double> segments) {
    }

    /** Aggregates of one revision. */
    public record Revision(String name, Long step, long order, int events, int correct, int incorrect, int withPair,
            int attributed, int informative, Double medianLogitDiff, Double meanLogitDiff,
            Map<String, Double> meanSegment, Set<String> runs) {
    }

    private final Map<String, Map<String, Point>> byModel = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Long>> firstSeen = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Long>> steps = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    @Override
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
        Point p = new Point(r.eventId(), r.runId(), revision, r.model().step(), r.benchmark(), r.verdict(), r.status(),
                r.target() == null ? null : r.target().logitDiff(),
                r.faithfulness() == null ? null : r.faithfulness().informative(), segs);
        firstSeen.computeIfAbsent(model, k -> new ConcurrentHashMap<>()).putIfAbsent(revision,
                sequence.incrementAndGet());
        if (r.model().step() != null) {
            steps.computeIfAbsent(model, k -> new ConcurrentHashMap<>()).put(revision, r.model().step());
        }
        byModel.computeIfAbsent(model, k -> new ConcurrentHashMap<>()).put(r.eventId(), p);
    }

    public Set<String> models() {
        return new TreeSet<>(byModel.keySet());
    }

    public boolean knows(String model) {
        return byModel.containsKey(model);
    }

    /** Benchmarks seen for a model, sorted. */
    public Set<String> benchmarks(String model) {
        Set<String> out = new TreeSet<>();
        byModel.getOrDefault(model, Map.of()).values().forEach(p -> {
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
        Map<String, Long> seen = firstSeen.getOrDefault(model, Map.of());
        Map<String, Long> stepOf = steps.getOrDefault(model, Map.of());
        List<RevisionOrder.Revision> order = new ArrayList<>();
        byRevision.keySet().forEach(name -> order.add(new RevisionOrder.Revision(name, stepOf.get(name),
                seen.getOrDefault(name, Long.MAX_VALUE))));
        List<Revision> out = new ArrayList<>();
        long i = 0;
        for (RevisionOrder.Revision rev : RevisionOrder.sorted(order)) {
            out.add(aggregate(rev, i++, byRevision.get(rev.name())));
        }
        return out;
    }

    private List<Point> points(String model, String benchmark) {
        return byModel.getOrDefault(model, Map.of()).values().stream()
                .filter(p -> benchmark == null || benchmark.equals(p.benchmark())).toList();
    }

    static Revision aggregate(RevisionOrder.Revision rev, long order, List<Point> points) {
        int correct = 0;
        int incorrect = 0;
        int attributed = 0;
        int informative = 0;
        List<Double> diffs = new ArrayList<>();
        Map<String, double[]> segs = new LinkedHashMap<>();
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
            if (p.status() == AttributionStatus.ATTRIBUTED) {
                attributed++;
                if (Boolean.TRUE.equals(p.informative())) {
                    informative++;
                }
                p.segments().forEach((k, v) -> {
                    double[] acc = segs.computeIfAbsent(k, x -> new double[2]);
                    acc[0] += v;
                    acc[1]++;
                });
            }
        }
        Map<String, Double> mean = new LinkedHashMap<>();
        segs.forEach((k, acc) -> mean.put(k, acc[0] / acc[1]));
        return new Revision(rev.name(), rev.step(), order, points.size(), correct, incorrect, diffs.size(), attributed,
                informative, median(diffs), diffs.isEmpty() ? null
                        : diffs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN),
                mean, runs);
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
