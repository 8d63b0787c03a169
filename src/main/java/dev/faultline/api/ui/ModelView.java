package dev.faultline.api.ui;

import dev.faultline.store.CheckpointIndex;
import java.util.ArrayList;
import java.util.List;

/**
 * The checkpoint page of one model: one row per revision in training order with accuracy, median Δℓ of the failures
 * and the mean normalised relevance per segment of the attributed ones, and the same as small trend charts.
 */
public record ModelView(
        String model,
        String benchmark,
        List<Filter> benchmarks,
        List<SegmentColumn> segmentColumns,
        List<Row> rows,
        LineChart accuracyChart,
        LineChart logitDiffChart,
        LineChart segmentChart) {

    /** A benchmark filter link. */
    public record Filter(String label, String href, boolean active) {}

    /** A segment column with its colour (outline palette of the heatmap). */
    public record SegmentColumn(String name, int colourIndex, String colour) {}

    /** One revision. */
    public record Row(
            String revision,
            String step,
            String events,
            String accuracy,
            int incorrect,
            int attributed,
            String coverage,
            String informative,
            String medianLogitDiff,
            String meanLogitDiff,
            List<SegmentCell> segments,
            List<RunLink> runs) {}

    /** A segment's mean normalised relevance at a revision, coloured on the heatmap's scale. */
    public record SegmentCell(String value, String style, String title) {}

    public record RunLink(String runId, String href) {}

    /** Okabe–Ito colours of the segment outlines ({@code .seg-0} …) in the stylesheet, same order. */
    static final String[] SEGMENT_COLOURS = {"#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#000000", "#8C8C8C"};

    public static ModelView of(
            String model,
            String benchmark,
            List<String> benchmarks,
            List<String> segmentNames,
            List<CheckpointIndex.Revision> revisions) {
        List<Filter> filters = new ArrayList<>();
        filters.add(new Filter("all benchmarks", Links.model(model), benchmark == null));
        for (String b : benchmarks) {
            filters.add(new Filter(b, Links.model(model) + "?benchmark=" + Links.query(b), b.equals(benchmark)));
        }
        List<SegmentColumn> columns = new ArrayList<>();
        for (int i = 0; i < segmentNames.size(); i++) {
            int c = i % SEGMENT_COLOURS.length;
            columns.add(new SegmentColumn(segmentNames.get(i), c, SEGMENT_COLOURS[c]));
        }
        List<Row> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Double> acc = new ArrayList<>();
        List<Double> med = new ArrayList<>();
        List<List<Double>> seg = new ArrayList<>();
        segmentNames.forEach(s -> seg.add(new ArrayList<>()));
        for (CheckpointIndex.Revision r : revisions) {
            List<SegmentCell> cells = new ArrayList<>();
            for (int i = 0; i < segmentNames.size(); i++) {
                Double v = r.meanSegment().get(segmentNames.get(i));
                seg.get(i).add(v);
                cells.add(
                        v == null
                                ? new SegmentCell("–", "", "no attributed failure has this segment")
                                : new SegmentCell(
                                        Fmt.signed(v, 2),
                                        "background-color: " + Palette.background(v) + "; color: "
                                                + Palette.foreground(v),
                                        "mean normalised relevance of segment " + segmentNames.get(i) + " over "
                                                + r.attributed() + " attributed failures"));
            }
            int scored = r.correct() + r.incorrect();
            rows.add(new Row(
                    r.name(),
                    r.step() == null ? "" : Long.toString(r.step()),
                    Integer.toString(r.events()),
                    Fmt.percent(r.correct(), scored),
                    r.incorrect(),
                    r.attributed(),
                    Fmt.percent(r.attributed(), r.incorrect()),
                    Fmt.percent(r.informative(), r.attributed()),
                    Fmt.signed(r.medianLogitDiff(), 3),
                    Fmt.signed(r.meanLogitDiff(), 3),
                    cells,
                    r.runs().stream().map(id -> new RunLink(id, Links.run(id))).toList()));
            labels.add(r.name());
            acc.add(scored == 0 ? null : 100.0 * r.correct() / scored);
            med.add(r.medianLogitDiff());
        }
        LineChart accuracy = revisions.isEmpty()
                ? null
                : LineChart.of(labels, List.of(new LineChart.Data("accuracy %", "#111111", "", acc)), 420, 200, 0);
        LineChart logitDiff = revisions.isEmpty()
                ? null
                : LineChart.of(labels, List.of(new LineChart.Data("median Δℓ", "#b2182b", "", med)), 420, 200, 2);
        List<LineChart.Data> segData = new ArrayList<>();
        for (int i = 0; i < segmentNames.size(); i++) {
            segData.add(new LineChart.Data(segmentNames.get(i), columns.get(i).colour(), "", seg.get(i)));
        }
        LineChart segments = segData.isEmpty() ? null : LineChart.of(labels, segData, 640, 240, 2);
        return new ModelView(model, benchmark, filters, columns, rows, accuracy, logitDiff, segments);
    }
}
