package dev.faultline.api.ui;

import dev.faultline.contract.AttributionResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The token heatmap of one attributed failure: one cell per input token (prompt and completion prefix) with its
 * colour, grouped into runs of consecutive tokens of the same segment (outlined on the page). Relevance is normalised
 * by the largest |relevance| excluding the first token and special tokens (attention sinks, docs/engine.md);
 * those excluded tokens are clipped to the scale and marked.
 */
public record Heatmap(double normalizer, List<Group> groups, List<SegmentKey> segments, int tokenCount) {

    /** One token on the page. Text is model text: the template escapes it. */
    public record Cell(
            int index,
            String text,
            int id,
            double relevance,
            String relevanceText,
            String normalizedText,
            String style,
            boolean special,
            boolean clipped,
            boolean first,
            boolean lineBreak,
            String title,
            boolean answer) {

        /** CSS classes of the cell; {@code tok-answer} underlines the tokens of the scored answer. */
        public String cssClass() {
            return "tok" + (special ? " tok-special" : "") + (clipped ? " tok-clipped" : "")
                    + (relevance > 0 ? " tok-pos" : relevance < 0 ? " tok-neg" : "") + (answer ? " tok-answer" : "");
        }
    }

    /** Consecutive tokens of one segment ({@code null}: special tokens, no segment). */
    public record Group(String segment, int colourIndex, List<Cell> cells) {

        public String cssClass() {
            return segment == null ? "seg seg-none" : "seg seg-" + colourIndex;
        }
    }

    /** A segment name with the outline colour index it is drawn with. */
    public record SegmentKey(String name, int colourIndex) {}

    /** Number of outline colours in the stylesheet ({@code .seg-0} ... ). */
    public static final int OUTLINE_COLOURS = 6;

    /** The normaliser for the legend. */
    public String normalizerText() {
        return Fmt.fixed(normalizer, 4);
    }

    public static Heatmap of(List<AttributionResult.Token> tokens) {
        return of(tokens, null);
    }

    /** The heatmap with the tokens overlapping the answer span marked. */
    public static Heatmap of(List<AttributionResult.Token> tokens, AttributionResult.AnswerSpan answer) {
        List<AttributionResult.Token> ts = tokens == null ? List.of() : tokens;
        double max = 0;
        for (int i = 1; i < ts.size(); i++) {
            if (!ts.get(i).special()) {
                max = Math.max(max, Math.abs(ts.get(i).relevance()));
            }
        }
        Map<String, Integer> colours = new LinkedHashMap<>();
        List<Group> groups = new ArrayList<>();
        Group current = null;
        for (int i = 0; i < ts.size(); i++) {
            AttributionResult.Token t = ts.get(i);
            String seg = t.special() ? null : t.segment();
            int colour = seg == null ? -1 : colours.computeIfAbsent(seg, k -> colours.size() % OUTLINE_COLOURS);
            if (current == null || !java.util.Objects.equals(current.segment(), seg)) {
                current = new Group(seg, colour, new ArrayList<>());
                groups.add(current);
            }
            Cell c = cell(i, t, max);
            if (answer != null
                    && !t.special()
                    && t.start() < answer.promptChars() + answer.end()
                    && t.end() > answer.promptChars() + answer.start()) {
                c = new Cell(
                        c.index(),
                        c.text(),
                        c.id(),
                        c.relevance(),
                        c.relevanceText(),
                        c.normalizedText(),
                        c.style(),
                        c.special(),
                        c.clipped(),
                        c.first(),
                        c.lineBreak(),
                        c.title() + " · in the answer",
                        true);
            }
            current.cells().add(c);
        }
        List<SegmentKey> keys = new ArrayList<>();
        colours.forEach((k, v) -> keys.add(new SegmentKey(k, v)));
        return new Heatmap(max, groups, keys, ts.size());
    }

    static Cell cell(int i, AttributionResult.Token t, double max) {
        double v = max > 0 ? t.relevance() / max : 0;
        boolean excluded = i == 0 || t.special();
        boolean clipped = Math.abs(v) > 1;
        String text = t.text() == null ? "" : t.text();
        boolean lineBreak = text.endsWith("\n");
        String shown = Tokens.visibleBreaks(text);
        String style = "background-color: " + Palette.background(v) + "; color: " + Palette.foreground(v);
        String title = String.format(
                Locale.ROOT,
                "token %s · id %d · relevance %s · normalised %s%s%s",
                Tokens.quoted(text),
                t.id(),
                Fmt.signed(t.relevance(), 4),
                Fmt.signed(v, 2),
                t.segment() == null ? "" : " · segment " + t.segment(),
                excluded
                        ? " · excluded from the normalisation (" + (t.special() ? "special token" : "first token") + ")"
                                + (clipped ? ", clipped to the scale" : "")
                        : "");
        return new Cell(
                i,
                shown,
                t.id(),
                t.relevance(),
                Fmt.plain(t.relevance()),
                Fmt.signed(v, 2),
                style,
                t.special(),
                clipped,
                i == 0,
                lineBreak,
                title,
                false);
    }
}
