package dev.faultline.api.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.AttributionResult;
import dev.faultline.store.RevisionOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Heatmap normalisation, colours and segment runs; the palette; revision order; links (plain JUnit). */
class HeatmapTest {

    static AttributionResult.Token tok(String text, double rel, boolean special, String segment) {
        return new AttributionResult.Token(text, 1, 0, 0, rel, special, segment);
    }

    @Test
    void normalisesByLargestRelevanceExcludingFirstAndSpecialTokens() {
        Heatmap h = Heatmap.of(List.of(
                tok("A", 9, false, "s"),
                tok("<pad>", -7, true, null),
                tok("b", 0.5, false, "s"),
                tok("c", -2, false, "t")));
        assertThat(h.normalizer()).isEqualTo(2.0);
        List<Heatmap.Cell> cells =
                h.groups().stream().flatMap(g -> g.cells().stream()).toList();
        assertThat(cells).hasSize(4);
        assertThat(cells.get(0).clipped()).isTrue();
        assertThat(cells.get(1).clipped()).isTrue();
        assertThat(cells.get(2).normalizedText()).isEqualTo("+0.25");
        assertThat(cells.get(3).style()).contains(Palette.background(-1));
        assertThat(cells.get(3).title()).contains("“c”").contains("-2.0000").contains("segment t");
        assertThat(cells.get(1).title()).contains("excluded from the normalisation (special token)");
    }

    @Test
    void consecutiveTokensOfASegmentFormOneOutlinedRun() {
        Heatmap h = Heatmap.of(List.of(
                tok("<s>", 1, true, null),
                tok("a", 1, false, "x"),
                tok("b", 1, false, "x"),
                tok("c", 1, false, "y"),
                tok("d", 1, false, "x")));
        assertThat(h.groups()).extracting(Heatmap.Group::segment).containsExactly(null, "x", "y", "x");
        assertThat(h.groups().get(1).cells()).hasSize(2);
        assertThat(h.groups().get(3).colourIndex()).isEqualTo(h.groups().get(1).colourIndex());
        assertThat(h.segments()).extracting(Heatmap.SegmentKey::name).containsExactly("x", "y");
    }

    @Test
    void paletteIsRedForPositiveBlueForNegativeAndKeepsTextReadable() {
        int[] red = Palette.color(0.8);
        int[] blue = Palette.color(-0.8);
        assertThat(red[0]).isGreaterThan(red[2]);
        assertThat(blue[2]).isGreaterThan(blue[0]);
        assertThat(Palette.background(5)).isEqualTo(Palette.background(1)).isEqualTo("rgb(178, 24, 43)");
        assertThat(Palette.background(-1)).isEqualTo("rgb(33, 102, 172)");
        for (double v = -1; v <= 1; v += 0.05) {
            int[] bg = Palette.color(v);
            double l = Palette.luminance(bg);
            double fg = Palette.foreground(v).equals("#ffffff") ? 1.0 : 0.0;
            double contrast = (Math.max(l, fg) + 0.05) / (Math.min(l, fg) + 0.05);
            assertThat(contrast).as("text contrast at %s", v).isGreaterThanOrEqualTo(4.5);
        }
    }

    @Test
    void revisionsSortByStepThenNumberInNameThenFirstAppearance() {
        var sorted = RevisionOrder.sorted(List.of(
                new RevisionOrder.Revision("main", null, 1),
                new RevisionOrder.Revision("step_0500", null, 2),
                new RevisionOrder.Revision("final", null, 0),
                new RevisionOrder.Revision("step1000", null, 3),
                new RevisionOrder.Revision("sft", 20L, 4),
                new RevisionOrder.Revision("step0050", null, 5)));
        assertThat(sorted)
                .extracting(RevisionOrder.Revision::name)
                .containsExactly("final", "main", "sft", "step0050", "step_0500", "step1000");
    }

    @Test
    void linksKeepSlashesAndEncodeTheRest() {
        assertThat(Links.failure("a/b c/<x>")).isEqualTo("/ui/attributions/a/b%20c/%3Cx%3E");
        assertThat(Links.run("olmo/step1000/ifeval")).isEqualTo("/ui/runs/olmo/step1000/ifeval");
        assertThat(Tokens.visible(" a\n")).isEqualTo("␣a↵");
    }
}
