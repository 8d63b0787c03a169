package dev.faultline.tracking;

import dev.faultline.contract.AttributionResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Per-revision aggregates and regressions of a tracked set, computed from its trajectories (plain Java). */
public final class TrajectoryStats {

    private TrajectoryStats() {}

    /** One aggregate per revision (in the given training order) that has at least one point. */
    public static List<RevisionAggregate> aggregates(List<Revision> order, Collection<Trajectory> trajectories) {
        List<RevisionAggregate> out = new ArrayList<>();
        for (Revision rev : order) {
            List<TrajectoryPoint> points = new ArrayList<>();
            for (Trajectory t : trajectories) {
                for (TrajectoryPoint p : t.points()) {
                    if (p.revision().equals(rev.name())) {
                        points.add(p);
                    }
                }
            }
            if (!points.isEmpty()) {
                out.add(aggregate(rev, points));
            }
        }
        return out;
    }

    static RevisionAggregate aggregate(Revision rev, List<TrajectoryPoint> points) {
        double[] d =
                points.stream().mapToDouble(TrajectoryPoint::logitDiff).sorted().toArray();
        double mean = Arrays.stream(d).average().orElse(Double.NaN);
        double median = d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
        int fixed = (int) points.stream().filter(TrajectoryPoint::fixed).count();
        Map<String, double[]> seg = new LinkedHashMap<>(); // sum raw, sum normalised, failures
        for (TrajectoryPoint p : points) {
            if (p.segments() == null) {
                continue;
            }
            for (AttributionResult.SegmentRelevance s : p.segments()) {
                double[] acc = seg.computeIfAbsent(s.name(), k -> new double[3]);
                acc[0] += s.relevance();
                acc[1] += s.normalized() == null ? 0 : s.normalized();
                acc[2]++;
            }
        }
        List<RevisionAggregate.SegmentMean> segments = new ArrayList<>();
        seg.forEach((name, acc) ->
                segments.add(new RevisionAggregate.SegmentMean(name, acc[0] / acc[2], acc[1] / acc[2], (int) acc[2])));
        return new RevisionAggregate(
                rev.name(), rev.step(), points.size(), mean, median, fixed, (double) fixed / points.size(), segments);
    }

    /**
     * Regressions of one trajectory (points in training order): every point with Δℓ > 0 whose previous point is
     * fixed (Δℓ ≤ 0).
     */
    public static List<Regression> regressions(Trajectory t) {
        List<Regression> out = new ArrayList<>();
        List<TrajectoryPoint> p = t.points();
        for (int i = 1; i < p.size(); i++) {
            if (p.get(i - 1).fixed() && !p.get(i).fixed()) {
                out.add(new Regression(
                        t.model(),
                        t.benchmark(),
                        t.eventId(),
                        t.exampleId(),
                        p.get(i - 1).revision(),
                        p.get(i - 1).logitDiff(),
                        p.get(i).revision(),
                        p.get(i).logitDiff()));
            }
        }
        return out;
    }
}
