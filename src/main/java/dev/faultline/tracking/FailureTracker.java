package dev.faultline.tracking;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.fleet.FleetRequest;
import dev.faultline.fleet.FleetRequestHandler;
import dev.faultline.fleet.RequestsLag;
import dev.faultline.pipeline.ModelRegistry;
import dev.faultline.pipeline.ModelUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jboss.logging.Logger;

/**
 * Follows failures across a model's revisions: the tracking state. {@link TrackingConsumer} (one consumer group for
 * the whole fleet, {@code faultline-tracking}, offsets committed: a pod resumes where the group stands, it never replays
 * the topic) hands it every result of {@code attribution.results}: every result makes its revision known (ordered by step, name number, first appearance:
 * {@link Revision}); failures with a pair (statuses in {@code faultline.tracking.statuses}) join their (model,
 * benchmark) set under the configured policy. A failure is re-attributed at every known revision newer than its own,
 * both when it joins and when a newer revision appears (its first result, {@link #track}, or disk discovery at
 * startup): {@link RetrackScheduler} claims each (failure, revision) in Redis and queues it once on
 * {@code attribution.requests}, where one worker of the fleet takes it ({@link #execute}); each new point extends its
 * {@link Trajectory}, which is stored in Redis and published. All state lives in Redis ({@link TrackingStore}): the
 * readers ({@link TrackingView}, REST) read it from there, so no process holds the history in memory.
 */
@ApplicationScoped
public class FailureTracker implements FleetRequestHandler {

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
    MeterRegistry meters;

    @Inject
    RetrackScheduler scheduler;

    @Inject
    RequestsLag requestsLag;

    private SetPolicy policy;

    void onStart(@Observes StartupEvent ev) {
        // the fleet's backlog, read from the broker (the same on every pod), not this pod's own queue
        Gauge.builder("faultline.retrack.queued", requestsLag, RequestsLag::lag)
                .description("Requests on attribution.requests (re-attributions, forwarded graph and track requests) "
                        + "not yet done: the lag of the workers' group, the same on every pod")
                .register(meters);
        if (!config.enabled()) {
            return;
        }
        // one read per tracked set (not per result): the regression counters are exported from the start
        for (String model : store.models()) {
            store.benchmarks(model).forEach(b -> regressionCounter(model, b));
        }
        if (config.discoverOnStartup()) {
            synchronized (this) {
                for (String model : store.models()) {
                    for (String rev : registry.revisions(model)) {
                        if (observe(model, rev, null)) {
                            scheduler.scheduleRevision(model, rev, revisionMap(model));
                        }
                    }
                }
            }
        }
    }

    /** Takes one result: its revision becomes known; a failure with a pair may join its tracked set. */
    public synchronized void accept(AttributionResult r) {
        if (r.model() == null || r.model().name() == null || r.status() == AttributionStatus.MODEL_UNAVAILABLE) {
            return;
        }
        String model = r.model().name();
        String rev =
                r.model().revision() == null ? ModelRegistry.MAIN : r.model().revision();
        boolean isNew = observe(model, rev, r.model().step());
        if (r.verdict() == Verdict.INCORRECT && tracks(r.status())) {
            TrackedFailure f = TrackedFailure.of(r);
            if (f != null) {
                join(f, r);
            }
        }
        if (isNew) {
            scheduler.scheduleRevision(model, rev, revisionMap(model));
        }
    }

    /**
     * Registers a revision (it must exist under the models dir) and queues the re-attribution of every tracked
     * failure of the model whose own revision is older; returns how many jobs were queued by this call.
     *
     * @throws ModelUnavailableException when no checkpoint of that revision is on disk
     */
    public synchronized int track(String model, String revision, Long step) {
        registry.resolve(model, revision);
        observe(model, revision, step);
        return scheduler.scheduleRevision(model, revision, revisionMap(model));
    }

    @Override
    public Map<String, Class<? extends FleetRequest>> kinds() {
        return Map.of(RetrackRequest.KIND, RetrackRequest.class, TrackRequest.KIND, TrackRequest.class);
    }

    /** A retrack request: {@link #execute}; a track request: {@link #track}, done when its re-attributions are queued. */
    @Override
    public CompletionStage<?> handle(FleetRequest request) {
        if (request instanceof RetrackRequest r) {
            return execute(r.failure(), r.revision());
        }
        TrackRequest t = (TrackRequest) request;
        track(t.model(), t.revisionName(), t.step());
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Runs one queued re-attribution on this worker (behind live jobs, {@link RetrackQueue}); completes with true once
     * its point is stored, false when the point was there already or the job failed for good (its claim is then freed,
     * so a later trigger queues it again).
     */
    public CompletionStage<Boolean> execute(TrackedFailure f, Revision r) {
        if (store.hasPoint(f, r.name())) {
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> done = queue.submit(new RetrackQueue.Job(f, r), this::run);
        if (done == null) {
            return CompletableFuture.completedFuture(false);
        }
        return done.thenApply(ok -> {
            if (!ok) {
                store.releaseRetrack(f, r.name());
            }
            return ok;
        });
    }

    /** The model's revisions in training order. */
    public List<Revision> revisions(String model) {
        return store.revisions(model).stream().sorted(Revision.ORDER).toList();
    }

    /** Models with known revisions or tracked sets. */
    public List<String> models() {
        return store.models().stream().sorted().toList();
    }

    /** Benchmarks with a tracked set for the model. */
    public List<String> benchmarks(String model) {
        return store.benchmarks(model);
    }

    /** The tracked failures of one set, by event id. */
    public List<TrackedFailure> tracked(String model, String benchmark) {
        return store.tracked(model, benchmark);
    }

    /** The trajectories of one set, points in training order. */
    public List<Trajectory> trajectories(String model, String benchmark) {
        Map<String, Revision> revs = revisionMap(model);
        Map<String, Trajectory> stored = store.trajectories(model, benchmark);
        return tracked(model, benchmark).stream()
                .map(f -> {
                    Trajectory t = stored.get(f.eventId());
                    return trajectory(f, t == null ? List.of() : t.points(), revs);
                })
                .toList();
    }

    // ---- internals ----

    private boolean tracks(AttributionStatus status) {
        return status != null && config.statuses().contains(status);
    }

    private Map<String, Revision> revisionMap(String model) {
        Map<String, Revision> revs = new HashMap<>();
        store.revisions(model).forEach(r -> revs.put(r.name(), r));
        return revs;
    }

    /** Makes a revision known (updating a step learnt later); true when it is new. */
    private boolean observe(String model, String rev, Long step) {
        Map<String, Revision> revs = revisionMap(model);
        Revision known = revs.get(rev);
        if (known != null && (step == null || step.equals(known.step()))) {
            return false;
        }
        long s = known != null ? known.seq() : store.nextSeq();
        Long order = Revision.orderStep(rev, step);
        // no number: right after the revision that appeared just before it (main, seen first, comes first)
        double rank = Revision.rankAfter(
                order,
                order != null
                        ? null
                        : revs.values().stream()
                                .filter(r -> r.seq() < s)
                                .max(Comparator.comparingLong(Revision::seq))
                                .map(Revision::rank)
                                .orElse(null));
        Revision r = new Revision(rev, step != null ? step : known != null ? known.step() : null, s, rank);
        store.putRevision(model, r);
        return known == null;
    }

    private void join(TrackedFailure f, AttributionResult r) {
        if (store.addSet(f.model(), f.benchmark())) {
            regressionCounter(f.model(), f.benchmark()); // exported at 0 from the set's start (alert rules need it)
        }
        if (store.isTracked(f.model(), f.benchmark(), f.eventId())) {
            return;
        }
        // the policies with a bound look at the set; "all" admits without reading it
        LinkedHashMap<String, TrackedFailure> set = new LinkedHashMap<>();
        if (config.policy() != SetPolicy.Kind.ALL) {
            store.tracked(f.model(), f.benchmark()).forEach(t -> set.put(t.eventId(), t));
        }
        SetPolicy.Admission admission = policy().admit(set, f);
        if (!admission.admitted()) {
            return;
        }
        admission.evicted().ifPresent(store::removeTracked);
        if (!store.putTrackedIfAbsent(f)) {
            return;
        }
        Map<String, Revision> revs = revisionMap(f.model());
        Revision own = revs.get(f.revision());
        if (own != null && !store.hasPoint(f, own.name())) {
            TrajectoryPoint p = Reattributor.ownPoint(f, own, r);
            if (p != null) {
                addPoint(f, p);
            } else {
                scheduler.submit(f, own); // LOW_LOGIT_DIFF: no relevance yet at its own revision
            }
        }
        scheduler.scheduleNewer(f, revs);
    }

    private SetPolicy policy() {
        if (policy == null) {
            policy = new SetPolicy(config.policy(), config.maxPerBenchmark(), config.seed());
        }
        return policy;
    }

    /** Runs on the re-attribution thread: the engine call, then the point into Redis. */
    private void run(RetrackQueue.Job job) {
        TrajectoryPoint p;
        try {
            p = reattributor.reattribute(job.failure(), job.revision());
            counter("faultline.retrack", "outcome", "ok").increment();
        } catch (RuntimeException e) {
            counter("faultline.retrack", "outcome", "failed").increment();
            throw e;
        }
        addPoint(job.failure(), p);
    }

    private Counter counter(String name, String tag, String value) {
        return Counter.builder(name)
                .description("Re-attributions of tracked failures by outcome")
                .tag(tag, value)
                .register(meters);
    }

    /**
     * Stores a point and rewrites the failure's trajectory from all its stored points (one failure's re-attributions
     * run in order on one consumer: their requests share the failure's key).
     */
    private void addPoint(TrackedFailure f, TrajectoryPoint p) {
        store.putPoint(f, p);
        Trajectory t = trajectory(f, List.copyOf(store.points(f).values()), revisionMap(f.model()));
        store.putTrajectory(t);
        publisher.publish(t).exceptionally(e -> {
            LOG.warnf("trajectory of %s not published: %s", f.key(), e.getMessage());
            return null;
        });
        for (Regression reg : TrajectoryStats.regressions(t)) {
            if (store.countRegression(f, reg.wrongAgainAt())) {
                regressionCounter(f.model(), f.benchmark()).increment();
                LOG.infof(
                        "regression: %s fixed at %s (%.3f), wrong again at %s (%.3f)",
                        f.key(), reg.fixedAt(), reg.fixedLogitDiff(), reg.wrongAgainAt(), reg.logitDiff());
            }
        }
    }

    private Counter regressionCounter(String model, String benchmark) {
        return Counter.builder("faultline.regressions")
                .description("Tracked failures fixed at an earlier revision and wrong again at a later one")
                .tag("model", model)
                .tag("benchmark", benchmark)
                .register(meters);
    }

    private static Trajectory trajectory(TrackedFailure f, List<TrajectoryPoint> points, Map<String, Revision> revs) {
        List<TrajectoryPoint> ps = new ArrayList<>(points);
        ps.sort(Comparator.comparing(
                (TrajectoryPoint p) -> Optional.ofNullable(revs.get(p.revision()))
                        .orElse(new Revision(p.revision(), null, Long.MAX_VALUE, Double.MAX_VALUE)),
                Revision.ORDER));
        return new Trajectory(
                f.model(),
                f.benchmark(),
                f.eventId(),
                f.exampleId(),
                f.revision(),
                f.wrongText(),
                f.contrastText(),
                ps);
    }
}
