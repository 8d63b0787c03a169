package dev.faultline.tracking;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.config.FaultlineConfig;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.pipeline.ModelRegistry;
import dev.faultline.pipeline.ModelUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;

/**
 * Follows failures across a model's revisions. Reads {@code attribution.results} from the beginning (a group id of
 * its own per process, like the run index, so a restart rebuilds the tracked sets from the topic): every result
 * makes its revision known (ordered by step, name number, first appearance: {@link Revision}); failures with a pair
 * (statuses in {@code faultline.tracking.statuses}) join their (model, benchmark) set under the configured policy.
 * A failure is re-attributed at every known revision newer than its own, both when it joins and when a newer revision
 * appears (its first result, {@link #track}, or disk discovery at startup), through the low-priority
 * {@link RetrackQueue}; each new point extends its {@link Trajectory}, which is stored in Redis and published.
 */
@ApplicationScoped
public class FailureTracker {

    /** Incoming channel reading {@code attribution.results} from the start. */
    public static final String CHANNEL = "attribution-results-tracking";
    private static final Logger LOG = Logger.getLogger(FailureTracker.class);

    @Inject
    TrackingConfig config;
    @Inject
    TrackingStore store;
    @Inject
    RetrackQueue queue;
    @Inject
    Reattributor reattributor;
    @Inject
    TrajectoryPublisher publisher;
    @Inject
    ModelRegistry registry;
    @Inject
    ObjectMapper json;
    @Inject
    MeterRegistry meters;
    @Inject
    FaultlineConfig faultline;

    private final Map<String, Map<String, Revision>> revisions = new HashMap<>();
    /** key model/benchmark → event id → failure, in joining order */
    private final Map<String, LinkedHashMap<String, TrackedFailure>> sets = new TreeMap<>();
    /** failure key → revision → point */
    private final Map<String, Map<String, TrajectoryPoint>> points = new HashMap<>();
    private final Set<String> countedRegressions = ConcurrentHashMap.newKeySet();
    private long seq;
    private SetPolicy policy;

    void onStart(@Observes StartupEvent ev) {
        Gauge.builder("faultline.retrack.queued", queue, RetrackQueue::backlog)
                .description("Re-attribution jobs of tracked failures waiting or running").register(meters);
        if (!config.enabled()) {
            return;
        }
        TrackingStore.Snapshot s = store.load();
        synchronized (this) {
            s.revisions().forEach((model, revs) -> revs.forEach(r -> {
                revisions.computeIfAbsent(model, k -> new HashMap<>()).putIfAbsent(r.name(), r);
                seq = Math.max(seq, r.seq() + 1);
            }));
            s.tracked().forEach(f -> sets.computeIfAbsent(setKey(f.model(), f.benchmark()), k -> new LinkedHashMap<>())
                    .putIfAbsent(f.eventId(), f));
            s.trajectories().forEach(t -> t.points().forEach(p -> points
                    .computeIfAbsent(t.model() + "/" + t.benchmark() + "/" + t.eventId(), k -> new HashMap<>())
                    .putIfAbsent(p.revision(), p)));
            if (config.discoverOnStartup()) {
                for (String model : List.copyOf(revisions.keySet())) {
                    for (String rev : registry.revisions(model)) {
                        observe(model, rev, null);
                    }
                }
            }
            sets.forEach((key, set) -> set.values().forEach(f -> {
                regressionCounter(f.model(), f.benchmark());
                // regressions found before the restart are not counted again
                TrajectoryStats.regressions(trajectory(f))
                        .forEach(r -> countedRegressions.add(f.key() + "@" + r.wrongAgainAt()));
            }));
            sets.values().forEach(set -> set.values().forEach(this::scheduleNewer));
        }
    }

    @Incoming(CHANNEL)
    public void onResult(ConsumerRecord<String, String> record) {
        if (record.value() == null || !config.enabled()) {
            return;
        }
        AttributionResult r;
        try {
            r = json.readValue(record.value(), AttributionResult.class);
        } catch (Exception e) {
            LOG.warnf("unreadable result at %s-%d@%d skipped: %s", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
            return;
        }
        accept(r);
    }

    /** Takes one result: its revision becomes known; a failure with a pair may join its tracked set. */
    public synchronized void accept(AttributionResult r) {
        if (r.model() == null || r.model().name() == null || r.status() == AttributionStatus.MODEL_UNAVAILABLE) {
            return;
        }
        String model = r.model().name();
        String rev = r.model().revision() == null ? ModelRegistry.MAIN : r.model().revision();
        boolean isNew = observe(model, rev, r.model().step());
        if (r.verdict() == Verdict.INCORRECT && tracks(r.status())) {
            TrackedFailure f = TrackedFailure.of(r);
            if (f != null) {
                join(f, r);
            }
        }
        if (isNew) {
            scheduleRevision(model, rev);
        }
    }

    /**
     * Registers a revision (it must exist under the models dir) and re-attributes every tracked failure of the model
     * whose own revision is older; returns how many jobs were queued.
     *
     * @throws ModelUnavailableException when no checkpoint of that revision is on disk
     */
    public synchronized int track(String model, String revision, Long step) {
        registry.resolve(model, revision);
        observe(model, revision, step);
        return scheduleRevision(model, revision);
    }

    /** The model's revisions in training order. */
    public synchronized List<Revision> revisions(String model) {
        return revisions.getOrDefault(model, Map.of()).values().stream().sorted(Revision.ORDER).toList();
    }

    /** Models with known revisions or tracked sets. */
    public synchronized List<String> models() {
        return revisions.keySet().stream().sorted().toList();
    }

    /** Benchmarks with a tracked set for the model. */
    public synchronized List<String> benchmarks(String model) {
        return sets.keySet().stream().filter(k -> k.startsWith(model + "/")).map(k -> k.substring(model.length() + 1))
                .toList();
    }

    /** The tracked failures of one set, in joining order. */
    public synchronized List<TrackedFailure> tracked(String model, String benchmark) {
        return List.copyOf(sets.getOrDefault(setKey(model, benchmark), new LinkedHashMap<>()).values());
    }

    /** The trajectories of one set, points in training order. */
    public synchronized List<Trajectory> trajectories(String model, String benchmark) {
        return tracked(model, benchmark).stream().map(this::trajectory).toList();
    }

    // ---- internals (callers hold the lock) ----

    private boolean tracks(AttributionStatus status) {
        return status != null && config.statuses().contains(status);
    }

    private static String setKey(String model, String benchmark) {
        return model + "/" + benchmark;
    }

    /** Makes a revision known (updating a step learnt later); true when it is new. */
    private boolean observe(String model, String rev, Long step) {
        Map<String, Revision> revs = revisions.computeIfAbsent(model, k -> new HashMap<>());
        Revision known = revs.get(rev);
        if (known != null && (step == null || step.equals(known.step()))) {
            return false;
        }
        long s = known != null ? known.seq() : seq++;
        Long order = Revision.orderStep(rev, step);
        // no number: right after the revision that appeared just before it (main, seen first, comes first)
        double rank = Revision.rankAfter(order, order != null ? null
                : revs.values().stream().filter(r -> r.seq() < s).max(Comparator.comparingLong(Revision::seq))
                        .map(Revision::rank).orElse(null));
        Revision r = new Revision(rev, step != null ? step : known != null ? known.step() : null, s, rank);
        revs.put(rev, r);
        store.putRevision(model, r);
        return known == null;
    }

    private void join(TrackedFailure f, AttributionResult r) {
        String key = setKey(f.model(), f.benchmark());
        LinkedHashMap<String, TrackedFailure> set = sets.computeIfAbsent(key, k -> {
            regressionCounter(f.model(), f.benchmark()); // exported at 0 from the set's start (alert rules need it)
            return new LinkedHashMap<>();
        });
        if (set.containsKey(f.eventId())) {
            return;
        }
        SetPolicy.Admission admission = policy().admit(set, f);
        if (!admission.admitted()) {
            return;
        }
        admission.evicted().ifPresent(out -> {
            set.remove(out.eventId());
            store.removeTracked(out);
        });
        set.put(f.eventId(), f);
        store.putTracked(f);
        Revision own = revisions.get(f.model()).get(f.revision());
        if (!points.containsKey(f.key()) || !points.get(f.key()).containsKey(f.revision())) {
            TrajectoryPoint p = Reattributor.ownPoint(f, own, r);
            if (p != null) {
                addPointLocked(f, p);
            } else {
                submit(f, own); // LOW_LOGIT_DIFF: no relevance yet at its own revision
            }
        }
        scheduleNewer(f);
    }

    private SetPolicy policy() {
        if (policy == null) {
            policy = new SetPolicy(config.policy(), config.maxPerBenchmark(), config.seed());
        }
        return policy;
    }

    private void scheduleNewer(TrackedFailure f) {
        Map<String, Revision> revs = revisions.getOrDefault(f.model(), Map.of());
        Revision own = revs.get(f.revision());
        if (own == null) {
            return;
        }
        revs.values().stream().filter(r -> Revision.ORDER.compare(r, own) > 0).sorted(Revision.ORDER)
                .forEach(r -> submit(f, r));
    }

    private int scheduleRevision(String model, String rev) {
        Revision target = revisions.get(model).get(rev);
        int n = 0;
        for (Map.Entry<String, LinkedHashMap<String, TrackedFailure>> e : sets.entrySet()) {
            if (!e.getKey().startsWith(model + "/")) {
                continue;
            }
            for (TrackedFailure f : e.getValue().values()) {
                Revision own = revisions.get(model).get(f.revision());
                if (own != null && Revision.ORDER.compare(target, own) > 0 && submit(f, target)) {
                    n++;
                }
            }
        }
        if (n > 0) {
            LOG.infof("re-attributing %d tracked failures of %s at %s", n, model, rev);
        }
        return n;
    }

    private boolean submit(TrackedFailure f, Revision r) {
        if (!config.enabled() || !faultline.role().attributes()) {
            return false;
        }
        Map<String, TrajectoryPoint> have = points.get(f.key());
        if (have != null && have.containsKey(r.name())) {
            return false;
        }
        return queue.submit(new RetrackQueue.Job(f, r), this::run);
    }

    /** Runs on the re-attribution thread: the engine call outside the lock, the bookkeeping inside. */
    private void run(RetrackQueue.Job job) {
        TrajectoryPoint p;
        try {
            p = reattributor.reattribute(job.failure(), job.revision());
            counter("faultline.retrack", "outcome", "ok").increment();
        } catch (RuntimeException e) {
            counter("faultline.retrack", "outcome", "failed").increment();
            throw e;
        }
        synchronized (this) {
            addPointLocked(job.failure(), p);
        }
    }

    private Counter counter(String name, String tag, String value) {
        return Counter.builder(name).description("Re-attributions of tracked failures by outcome").tag(tag, value)
                .register(meters);
    }

    private void addPointLocked(TrackedFailure f, TrajectoryPoint p) {
        points.computeIfAbsent(f.key(), k -> new HashMap<>()).put(p.revision(), p);
        Trajectory t = trajectory(f);
        store.putTrajectory(t);
        publisher.publish(t).exceptionally(e -> {
            LOG.warnf("trajectory of %s not published: %s", f.key(), e.getMessage());
            return null;
        });
        for (Regression reg : TrajectoryStats.regressions(t)) {
            if (countedRegressions.add(f.key() + "@" + reg.wrongAgainAt())) {
                regressionCounter(f.model(), f.benchmark()).increment();
                LOG.infof("regression: %s fixed at %s (%.3f), wrong again at %s (%.3f)", f.key(), reg.fixedAt(),
                        reg.fixedLogitDiff(), reg.wrongAgainAt(), reg.logitDiff());
            }
        }
    }

    private Counter regressionCounter(String model, String benchmark) {
        return Counter.builder("faultline.regressions")
                .description("Tracked failures fixed at an earlier revision and wrong again at a later one")
                .tag("model", model).tag("benchmark", benchmark).register(meters);
    }

    private Trajectory trajectory(TrackedFailure f) {
        Map<String, Revision> revs = revisions.getOrDefault(f.model(), Map.of());
        List<TrajectoryPoint> ps = new ArrayList<>(points.getOrDefault(f.key(), Map.of()).values());
        ps.sort(Comparator.comparing((TrajectoryPoint p) -> Optional.ofNullable(revs.get(p.revision()))
                .orElse(new Revision(p.revision(), null, Long.MAX_VALUE, Double.MAX_VALUE)), Revision.ORDER));
        return new Trajectory(f.model(), f.benchmark(), f.eventId(), f.exampleId(), f.revision(), f.wrongText(),
                f.contrastText(), ps);
    }
}
