package dev.faultline.api.ui;

import dev.faultline.compare.Comparisons;
import dev.faultline.contract.AttributionStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The model page's benchmark table for one revision: one row per benchmark with outcomes, attribution coverage,
 * informative share, median Δℓ, the segment that carries most wrong-pushing relevance and how concentrated relevance
 * is; each row links to its failures (the runs) and to a comparison with another revision on that benchmark.
 */
public record BenchmarksSection(String model, String revision, List<ModelView.Filter> revisions, List<Row> rows) {

    public record StatusLink(String status, int count, String href) {}

    public record Row(
            String benchmark,
            int events,
            String accuracy,
            int incorrect,
            List<StatusLink> failures,
            String coverage,
            String informative,
            String medianLogitDiff,
            String topSegment,
            String topSegmentShare,
            String concentration,
            List<ModelView.RunLink> runs,
            String compareHref) {}

    public static BenchmarksSection of(
            String model,
            String revision,
            List<String> revisionNames,
            List<Comparisons.BenchmarkRow> rows,
            String comparePair) {
        List<ModelView.Filter> revs = new ArrayList<>();
        for (String r : revisionNames) {
            revs.add(new ModelView.Filter(
                    r, Links.model(model) + "?revision=" + Links.query(r) + "#benchmarks", r.equals(revision)));
        }
        List<Row> out = new ArrayList<>();
        for (Comparisons.BenchmarkRow b : rows) {
            String firstRun = b.runs().isEmpty() ? null : b.runs().get(0);
            List<StatusLink> failures = new ArrayList<>();
            for (Map.Entry<AttributionStatus, Integer> e : b.byStatus().entrySet()) {
                failures.add(new StatusLink(
                        e.getKey().name(),
                        e.getValue(),
                        firstRun == null
                                ? null
                                : Links.run(firstRun) + "?status=" + e.getKey().name()));
            }
            String compare = comparePair == null
                    ? null
                    : "/ui/compare?benchmark=" + Links.query(b.benchmark()) + "&models=" + Links.query(comparePair);
            out.add(new Row(
                    b.benchmark(),
                    b.events(),
                    Fmt.percent(b.correct(), b.correct() + b.incorrect()),
                    b.incorrect(),
                    failures,
                    Fmt.percent(b.attributed(), b.incorrect()),
                    Fmt.percent(b.informative(), b.attributed()),
                    Fmt.signed(b.medianLogitDiff(), 3),
                    b.topWrongSegment() == null ? "–" : b.topWrongSegment(),
                    b.topWrongSegmentShare() == null
                            ? ""
                            : Fmt.percent(Math.round(1000 * b.topWrongSegmentShare()), 1000),
                    b.concentration() == null ? "–" : Fmt.percent(Math.round(1000 * b.concentration()), 1000),
                    b.runs().stream()
                            .map(id -> new ModelView.RunLink(id, Links.run(id)))
                            .toList(),
                    compare));
        }
        return new BenchmarksSection(model, revision, revs, out);
    }
}
