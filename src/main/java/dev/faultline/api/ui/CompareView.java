package dev.faultline.api.ui;

import dev.faultline.compare.CharRelevance;
import dev.faultline.compare.Comparisons;
import java.util.ArrayList;
import java.util.List;

/**
 * The compare page: model revisions on one benchmark side by side (accuracy, informative share, mean normalised
 * relevance per segment) and the first model against each other one (failed by both, fixed, broken).
 */
public record CompareView(
        String benchmark,
        String similarity,
        List<ModelRow> models,
        List<SegmentRow> segments,
        List<String> modelLabels,
        List<PairView> pairs,
        Form form,
        Chars chars) {

    /** One model revision. */
    public record ModelRow(
            String label,
            String href,
            String examples,
            String accuracy,
            String correctOf,
            int attributed,
            String informative,
            int scored) {}

    /** A segment's mean normalised relevance for each model. */
    public record SegmentRow(String name, List<ModelView.SegmentCell> cells) {}

    /** One side of an example. */
    public record SideView(
            String href, String label, String status, String pair, String logitDiff, String scoredFrom) {}

    public record ExampleRow(
            String exampleId,
            SideView first,
            SideView second,
            String samePair,
            String similarity,
            String sharedChars,
            String charsHref) {}

    public record PairView(
            int index,
            String first,
            String second,
            int matched,
            int bothFailed,
            int fixed,
            int broken,
            int bothCorrect,
            int samePair,
            String meanSimilarity,
            List<ExampleRow> failedByBoth,
            List<ExampleRow> fixedExamples,
            List<ExampleRow> brokenExamples) {}

    /** The choice of benchmark and models (a GET form). */
    public record Form(List<String> benchmarks, List<String> models, String benchmark, List<String> chosen) {}

    /** One example's relevance on characters for two models. */
    public record Chars(
            String exampleId,
            String first,
            String second,
            int shared,
            String similarity,
            List<CharCell> firstCells,
            List<CharCell> secondCells) {}

    /** One run of characters of one token, coloured by its relevance per character. */
    public record CharCell(int start, int end, String text, String perChar, String style) {}

    public static CompareView of(Comparisons.Report r, Form form, Chars chars) {
        List<ModelRow> models = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Comparisons.ModelStats s : r.models()) {
            String label = s.model() + "@" + s.revision();
            labels.add(label);
            models.add(new ModelRow(
                    label,
                    Links.model(s.model()),
                    Integer.toString(s.examples()),
                    Fmt.percent(s.correct(), s.correct() + s.incorrect()),
                    s.correct() + " of " + (s.correct() + s.incorrect()),
                    s.attributed(),
                    Fmt.percent(s.informative(), s.attributed()),
                    s.scored()));
        }
        List<SegmentRow> segments = new ArrayList<>();
        for (String seg : r.segments()) {
            List<ModelView.SegmentCell> cells = new ArrayList<>();
            for (Comparisons.ModelStats s : r.models()) {
                Double v = s.segments().get(seg);
                cells.add(
                        v == null
                                ? new ModelView.SegmentCell("–", "", "no attributed failure has this segment")
                                : new ModelView.SegmentCell(
                                        Fmt.signed(v, 2),
                                        "background-color: " + Palette.background(v) + "; color: "
                                                + Palette.foreground(v),
                                        "mean normalised relevance of " + seg));
            }
            segments.add(new SegmentRow(seg, cells));
        }
        List<PairView> pairs = new ArrayList<>();
        int i = 0;
        for (Comparisons.Pair p : r.pairs()) {
            String base = "/ui/compare?benchmark=" + Links.query(r.benchmark()) + "&models="
                    + Links.query(p.first() + "," + p.second());
            pairs.add(new PairView(
                    i++,
                    p.first(),
                    p.second(),
                    p.matched(),
                    p.bothFailed(),
                    p.fixed(),
                    p.broken(),
                    p.bothCorrect(),
                    p.samePair(),
                    Fmt.fixed(p.meanSimilarity(), 3),
                    rows(p.failedByBoth(), base),
                    rows(p.fixedExamples(), base),
                    rows(p.brokenExamples(), base)));
        }
        return new CompareView(r.benchmark(), r.similarity(), models, segments, labels, pairs, form, chars);
    }

    private static List<ExampleRow> rows(List<Comparisons.Example> examples, String base) {
        List<ExampleRow> out = new ArrayList<>();
        for (Comparisons.Example e : examples) {
            out.add(new ExampleRow(
                    e.exampleId(),
                    side(e.first()),
                    side(e.second()),
                    e.samePair() == null ? "" : e.samePair() ? "same" : "different",
                    Fmt.fixed(e.similarity(), 3),
                    e.sharedChars() == null ? "–" : e.sharedChars().toString(),
                    e.similarity() == null ? null : base + "&example=" + Links.query(e.exampleId()) + "#chars"));
        }
        return out;
    }

    private static SideView side(Comparisons.Side s) {
        String pair = s.wrong() == null ? "" : Tokens.visible(s.wrong()) + " → " + Tokens.visible(s.contrast());
        return new SideView(
                s.scoredFrom() == null && s.eventId() != null ? Links.failure(s.eventId()) : null,
                s.failed() ? "failed" : "correct",
                s.status() == null ? "" : s.status().name(),
                pair,
                Fmt.signed(s.logitDiff(), 3),
                s.scoredFrom());
    }

    /** Character cells of one model's tokens over the shared text, coloured against the largest |value| of both. */
    static List<CharCell> cells(List<CharRelevance.Span> spans, double scale) {
        List<CharCell> out = new ArrayList<>();
        for (CharRelevance.Span s : spans) {
            double v = scale > 0 ? s.perChar() / scale : 0;
            out.add(new CharCell(
                    s.start(),
                    s.end(),
                    s.text(),
                    Fmt.plain(s.perChar()),
                    "background-color: " + Palette.background(v) + "; color: " + Palette.foreground(v)));
        }
        return out;
    }

    static Chars chars(
            String exampleId,
            String first,
            String second,
            List<dev.faultline.contract.AttributionResult.Token> a,
            List<dev.faultline.contract.AttributionResult.Token> b) {
        int n = CharRelevance.shared(a, b);
        List<CharRelevance.Span> sa = CharRelevance.spans(a, n);
        List<CharRelevance.Span> sb = CharRelevance.spans(b, n);
        double scale = 0;
        for (var s : sa) {
            scale = Math.max(scale, Math.abs(s.perChar()));
        }
        for (var s : sb) {
            scale = Math.max(scale, Math.abs(s.perChar()));
        }
        return new Chars(
                exampleId,
                first,
                second,
                n,
                Fmt.fixed(CharRelevance.similarity(a, b), 3),
                cells(sa, scale),
                cells(sb, scale));
    }
}
