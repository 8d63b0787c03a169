package dev.faultline.api.ui;

import dev.faultline.contract.AttributionResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Relevance per segment as an inline-SVG diverging bar chart: the positive part (toward the wrong token) to the right
 * of zero in red, the negative part (toward the contrast) to the left in blue, the net sum as a black tick.
 */
public record SegmentBars(
        int width,
        int height,
        double zeroX,
        double labelX,
        double valueX,
        double axisBottom,
        String scaleText,
        List<Bar> bars) {

    /** One segment's row. */
    public record Bar(
            String name,
            int colourIndex,
            double y,
            double textY,
            double tickTop,
            double tickBottom,
            double posX,
            double posW,
            double negX,
            double negW,
            double netX,
            String netText,
            String detail) {}

    static final int ROW = 28;
    static final double LABEL = 150;
    static final double VALUE = 90;

    public static SegmentBars of(
            List<AttributionResult.SegmentRelevance> segments, List<Heatmap.SegmentKey> keys, int width) {
        List<AttributionResult.SegmentRelevance> segs = segments == null ? List.of() : segments;
        double max = 0;
        for (var s : segs) {
            max = Math.max(max, Math.abs(s.relevance()));
            if (s.positive() != null) {
                max = Math.max(max, s.positive());
            }
            if (s.negative() != null) {
                max = Math.max(max, -s.negative());
            }
        }
        double half = (width - LABEL - VALUE) / 2;
        double zero = LABEL + half;
        double scale = max > 0 ? half / max : 0;
        List<Bar> bars = new ArrayList<>();
        int row = 0;
        for (var s : segs) {
            double pos = s.positive() != null ? s.positive() : Math.max(0, s.relevance());
            double neg = s.negative() != null ? s.negative() : Math.min(0, s.relevance());
            int colour = keys.stream()
                    .filter(k -> k.name().equals(s.name()))
                    .mapToInt(Heatmap.SegmentKey::colourIndex)
                    .findFirst()
                    .orElse(-1);
            String detail = "segment " + s.name() + ": net " + Fmt.signed(s.relevance(), 4) + " = positive "
                    + Fmt.signed(pos, 4) + " + negative " + Fmt.signed(neg, 4)
                    + (s.tokens() == null ? "" : " over " + s.tokens() + " tokens")
                    + (s.normalized() == null ? "" : "; normalised " + Fmt.signed(s.normalized(), 2));
            double y = row * ROW + 6;
            bars.add(new Bar(
                    s.name(),
                    colour,
                    y,
                    y + 13,
                    y - 3,
                    y + 21,
                    r(zero),
                    r(pos * scale),
                    r(zero + neg * scale),
                    r(-neg * scale),
                    r(zero + s.relevance() * scale),
                    Fmt.signed(s.relevance(), 3),
                    detail));
            row++;
        }
        int height = Math.max(1, row) * ROW + 8;
        return new SegmentBars(
                width,
                height,
                r(zero),
                LABEL - 8,
                width - VALUE + 8,
                height - 2,
                max > 0 ? "bar ends at ±" + Fmt.fixed(max, 3) : "no relevance",
                bars);
    }

    private static double r(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
