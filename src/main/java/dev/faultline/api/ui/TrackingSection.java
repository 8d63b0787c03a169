package dev.faultline.api.ui;

import dev.faultline.tracking.Regression;
import dev.faultline.tracking.RevisionAggregate;
import dev.faultline.tracking.TrackingView;
import dev.faultline.tracking.Trajectory;
import dev.faultline.tracking.TrajectoryPoint;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The checkpoint page's section on tracked failures: per tracked set a table of revisions (tracked, mean and
 * median Δℓ, share fixed, mean normalised relevance per segment), a chart of Δℓ by revision for every tracked failure
 * with the mean on top, a chart of segment relevance by revision, and the regressions.
 */
public record TrackingSection(List<SetView> sets, List<RegressionRow> regressions) {

    /** One tracked (model, benchmark) set. */
    public record SetView(
            String benchmark,
            int tracked,
            List<String> segments,
            List<Row> rows,
            LineChart logitDiffChart,
            LineChart segmentChart) {}

    /** One revision of a set. */
    public record Row(
            String revision,
            String step,
            int points,
            String mean,
            String median,
            String fixed,
            List<ModelView.SegmentCell> segments) {}

    /** A failure fixed at one revision and wrong again at a later one. */
    public record RegressionRow(
            String benchmark,
            String eventId,
            String href,
            String fixedAt,
            String fixedLogitDiff,
            String wrongAgainAt,
            String logitDiff) {}

    /** Most failures drawn as their own line in the Δℓ chart (the mean is always drawn). */
    static final int MAX_LINES = 200;

    public static TrackingSection of(TrackingView view, String model, String benchmark) {
        List<SetView> sets = new ArrayList<>();
        for (TrackingView.TrackedSet s : view.trackedSets(model, benchmark)) {
            List<String> labels =
                    s.revisions().stream().map(RevisionAggregate::revision).toList();
            Set<String> segNames = new LinkedHashSet<>();
            s.revisions().forEach(a -> a.segments().forEach(m -> segNames.add(m.name())));
            List<String> segments = new ArrayList<>(segNames);
            List<Row> rows = new ArrayList<>();
            for (RevisionAggregate a : s.revisions()) {
                List<ModelView.SegmentCell> cells = new ArrayList<>();
                for (String name : segments) {
                    Double v = a.segments().stream()
                            .filter(m -> m.name().equals(name))
                            .findFirst()
                            .map(RevisionAggregate.SegmentMean::meanNormalized)
                            .orElse(null);
                    cells.add(
                            v == null
                                    ? new ModelView.SegmentCell("–", "", "no tracked failure has this segment")
                                    : new ModelView.SegmentCell(
                                            Fmt.signed(v, 2),
                                            "background-color: " + Palette.background(v) + "; color: "
                                                    + Palette.foreground(v),
                                            "mean normalised relevance of " + name + " over " + a.tracked()
                                                    + " tracked failures"));
                }
                rows.add(new Row(
                        a.revision(),
                        a.step() == null ? "" : Long.toString(a.step()),
                        a.tracked(),
                        Fmt.signed(a.meanLogitDiff(), 3),
                        Fmt.signed(a.medianLogitDiff(), 3),
                        a.fixed() + " (" + Fmt.percent(a.fixed(), a.tracked()) + ")",
                        cells));
            }
            List<LineChart.Data> lines = new ArrayList<>();
            int drawn = 0;
            for (Trajectory t : s.trajectories()) {
                if (drawn++ >= MAX_LINES) {
                    break;
                }
                List<Double> values = new ArrayList<>();
                for (String rev : labels) {
                    values.add(t.points().stream()
                            .filter(p -> p.revision().equals(rev))
                            .findFirst()
                            .map(TrajectoryPoint::logitDiff)
                            .orElse(null));
                }
                lines.add(new LineChart.Data(t.eventId(), "#bbbbbb", "", values));
            }
            lines.add(new LineChart.Data(
                    "mean Δℓ",
                    "#b2182b",
                    "",
                    s.revisions().stream().map(a -> (Double) a.meanLogitDiff()).toList()));
            List<LineChart.Data> segData = new ArrayList<>();
            for (int i = 0; i < segments.size(); i++) {
                String name = segments.get(i);
                segData.add(new LineChart.Data(
                        name,
                        ModelView.SEGMENT_COLOURS[i % ModelView.SEGMENT_COLOURS.length],
                        "",
                        s.revisions().stream()
                                .map(a -> a.segments().stream()
                                        .filter(m -> m.name().equals(name))
                                        .findFirst()
                                        .map(RevisionAggregate.SegmentMean::meanNormalized)
                                        .orElse(null))
                                .toList()));
            }
            sets.add(new SetView(
                    s.benchmark(),
                    s.tracked(),
                    segments,
                    rows,
                    labels.isEmpty() ? null : LineChart.of(labels, lines, 640, 260, 2),
                    labels.isEmpty() || segData.isEmpty() ? null : LineChart.of(labels, segData, 640, 240, 2)));
        }
        List<RegressionRow> regressions = new ArrayList<>();
        for (Regression r : view.regressions(model, benchmark)) {
            regressions.add(new RegressionRow(
                    r.benchmark(),
                    r.eventId(),
                    Links.failure(r.eventId()),
                    r.fixedAt(),
                    Fmt.signed(r.fixedLogitDiff(), 3),
                    r.wrongAgainAt(),
                    Fmt.signed(r.logitDiff(), 3)));
        }
        return new TrackingSection(sets, regressions);
    }
}
