package dev.faultline.tracking;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

/**
 * Read side of the tracker for REST and the web view's checkpoint page ({@code /ui/models/{model}}): plain methods
 * returning records — revisions in order, tracked sets with their trajectories and per-revision aggregates (Δℓ by
 * revision per failure, segment shares by revision), and regressions.
 */
@ApplicationScoped
public class TrackingView {

    /** One tracked set: per-revision aggregates and every failure's trajectory. */
    public record TrackedSet(
            String model,
            String benchmark,
            int tracked,
            List<RevisionAggregate> revisions,
            List<Trajectory> trajectories) {}

    @Inject
    FailureTracker tracker;

    public List<String> models() {
        return tracker.models();
    }

    public List<Revision> revisions(String model) {
        return tracker.revisions(model);
    }

    public List<String> benchmarks(String model) {
        return tracker.benchmarks(model);
    }

    /** The tracked sets of a model (one benchmark, or all when {@code benchmark} is null or blank). */
    public List<TrackedSet> trackedSets(String model, String benchmark) {
        List<TrackedSet> out = new ArrayList<>();
        List<Revision> order = tracker.revisions(model);
        for (String b : tracker.benchmarks(model)) {
            if (benchmark != null && !benchmark.isBlank() && !benchmark.equals(b)) {
                continue;
            }
            List<Trajectory> ts = tracker.trajectories(model, b);
            out.add(new TrackedSet(model, b, ts.size(), TrajectoryStats.aggregates(order, ts), ts));
        }
        return out;
    }

    /** Per-revision aggregates of one tracked set. */
    public List<RevisionAggregate> aggregates(String model, String benchmark) {
        return TrajectoryStats.aggregates(tracker.revisions(model), tracker.trajectories(model, benchmark));
    }

    /** Regressions of a model (one benchmark, or all when null or blank), in set and training order. */
    public List<Regression> regressions(String model, String benchmark) {
        List<Regression> out = new ArrayList<>();
        for (String b : tracker.benchmarks(model)) {
            if (benchmark == null || benchmark.isBlank() || benchmark.equals(b)) {
                tracker.trajectories(model, b).forEach(t -> out.addAll(TrajectoryStats.regressions(t)));
            }
        }
        return out;
    }
}
