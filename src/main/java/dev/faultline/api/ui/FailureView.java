package dev.faultline.api.ui;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything the failure page shows of one result: the pair, the heatmap, segment bars, the top tokens at the error
 * position, the layer profile, the conservation terms and the faithfulness check with a verdict in plain words.
 * Every string from the model (tokens, ids, reasons) is left raw here and escaped by the template.
 */
public record FailureView(
        AttributionResult result,
        String source,
        String status,
        boolean attributed,
        String title,
        String runHref,
        String modelHref,
        String rawHref,
        String graphHref,
        Pair pair,
        Heatmap heatmap,
        SegmentBars segments,
        LineChart layers,
        List<TopRow> topTokens,
        List<Term> conservation,
        Faith faith,
        String legendGradient,
        String paletteName,
        String engine,
        String whatHappened,
        Plain plain,
        String answerText) {

    /**
     * The wrong and contrast tokens (visible whitespace) with ids, Δℓ and the contrast's rank; {@code preferred}
     * when Δℓ > 0, i.e. this model itself ranks the output's token above the contrast there.
     */
    public record Pair(
            String wrong,
            int wrongId,
            String contrast,
            int contrastId,
            String logitDiff,
            Integer contrastRank,
            int position,
            boolean preferred) {}

    /** Prompt and output of a failure shown without a heatmap, cut into pieces so the error and answer are marked. */
    public record Plain(String prompt, List<Piece> pieces, boolean errorMarked) {}

    /** A run of output text; {@code cssClass} marks the error token ({@code plain-error}) and the answer. */
    public record Piece(String text, String cssClass) {}

    /** A row of the top-k table at the error position. */
    public record TopRow(String rank, String token, int id, String logit, String role) {}

    /** A conservation term with what it means. */
    public record Term(String name, String value, String meaning) {}

    /** Faithfulness numbers and the verdict. */
    public record Faith(int k, String dropTop, String dropRandom, String margin, boolean informative, String verdict) {}

    public static FailureView of(AttributionResult r, String source) {
        boolean attributed = r.status() == AttributionStatus.ATTRIBUTED;
        var t = r.target();
        Pair pair = t == null
                ? null
                : new Pair(
                        Tokens.visible(t.wrong().text()),
                        t.wrong().id(),
                        Tokens.visible(t.contrast().text()),
                        t.contrast().id(),
                        Fmt.signed(t.logitDiff(), 3),
                        t.contrastRank(),
                        t.position(),
                        t.logitDiff() > 0);
        // LOW_LOGIT_DIFF results carry their tokens without relevance (for the tracker): no heatmap for them
        Heatmap heatmap = Heatmap.of(attributed ? r.tokens() : null, r.answerSpan());
        SegmentBars bars = SegmentBars.of(r.segments(), heatmap.segments(), 640);
        LineChart layers = layerChart(r.layers());
        String title = (r.exampleId() == null ? r.eventId() : r.exampleId());
        String engine = r.engine() == null
                ? null
                : String.join(
                        " · ",
                        nonNull(
                                "rules " + r.engine().rules(),
                                "softmax " + r.engine().softmax(),
                                r.engine().dtype(),
                                r.engine().device(),
                                r.engine().version()));
        return new FailureView(
                r,
                source,
                r.status() == null ? "?" : r.status().name(),
                attributed,
                title,
                r.runId() == null ? null : Links.run(r.runId()),
                r.model() == null || r.model().name() == null
                        ? null
                        : Links.model(r.model().name()),
                Links.rawJson(r.eventId()),
                Links.graphJson(r.eventId()),
                pair,
                heatmap,
                bars,
                layers,
                top(r),
                conservation(r.conservation()),
                faith(r.faithfulness()),
                Palette.legendGradient(),
                Palette.NAME,
                engine,
                whatHappened(r),
                attributed ? null : plain(r),
                answerText(r));
    }

    /** The scored answer's text, when the result locates it and carries the output. */
    static String answerText(AttributionResult r) {
        var span = r.answerSpan();
        if (span == null || r.text() == null || r.text().output() == null) {
            return null;
        }
        String out = r.text().output();
        return span.end() <= out.length() && span.start() <= span.end()
                ? out.substring(span.start(), span.end())
                : null;
    }

    /**
     * The prompt and the output of a skipped failure, the output cut at the error token (marked) and at the answer
     * span (underlined); null when the result carries no text.
     */
    static Plain plain(AttributionResult r) {
        AttributionResult.Text text = r.text();
        if (text == null || text.output() == null) {
            return null;
        }
        String out = text.output();
        int errStart = -1;
        int errEnd = -1;
        if (text.errorChar() != null && text.errorChar() < out.length()) {
            errStart = text.errorChar();
            String wrong = r.target() == null ? null : r.target().wrong().text();
            int len = wrong == null || wrong.isEmpty() ? 1 : wrong.length();
            errEnd = Math.min(out.length(), errStart + len);
        }
        int ansStart = -1;
        int ansEnd = -1;
        if (r.answerSpan() != null && r.answerSpan().end() <= out.length()) {
            ansStart = r.answerSpan().start();
            ansEnd = r.answerSpan().end();
        }
        java.util.TreeSet<Integer> cuts = new java.util.TreeSet<>(List.of(0, out.length()));
        for (int c : new int[] {errStart, errEnd, ansStart, ansEnd}) {
            if (c >= 0) {
                cuts.add(c);
            }
        }
        List<Piece> pieces = new ArrayList<>();
        Integer from = null;
        for (int c : cuts) {
            if (from != null && c > from) {
                boolean error = from >= errStart && c <= errEnd && errStart >= 0;
                boolean answer = from >= ansStart && c <= ansEnd && ansStart >= 0;
                pieces.add(new Piece(
                        out.substring(from, c),
                        "plain-out" + (error ? " plain-error" : "") + (answer ? " plain-answer" : "")));
            }
            from = c;
        }
        return new Plain(text.prompt() == null ? "" : text.prompt(), pieces, errStart >= 0);
    }

    private static List<String> nonNull(String... parts) {
        List<String> out = new ArrayList<>();
        for (String p : parts) {
            if (p != null && !p.endsWith(" null") && !p.equals("null")) {
                out.add(p);
            }
        }
        return out;
    }

    static LineChart layerChart(List<AttributionResult.LayerRelevance> layers) {
        if (layers == null || layers.isEmpty()) {
            return null;
        }
        List<String> labels = new ArrayList<>();
        List<Double> pos = new ArrayList<>();
        List<Double> neg = new ArrayList<>();
        List<Double> net = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            var l = layers.get(i);
            labels.add(i == layers.size() - 1 && layers.size() > 1 ? "L" + l.layer() + " (out)" : "L" + l.layer());
            pos.add(l.positive());
            neg.add(l.negative());
            net.add(l.positive() + l.negative());
        }
        return LineChart.of(
                labels,
                List.of(
                        new LineChart.Data("positive (toward wrong)", "#b2182b", "", pos),
                        new LineChart.Data("negative (toward contrast)", "#2166ac", "", neg),
                        new LineChart.Data("net", "#111111", "5 3", net)),
                640,
                220,
                2);
    }

    static List<TopRow> top(AttributionResult r) {
        List<TopRow> rows = new ArrayList<>();
        if (r.topTokens() == null) {
            return rows;
        }
        var t = r.target();
        boolean wrongShown = false;
        boolean contrastShown = false;
        Double wrongLogit = null;
        int rank = 1;
        for (var tok : r.topTokens()) {
            String role = "";
            if (t != null && tok.id() == t.wrong().id()) {
                role = "wrong";
                wrongShown = true;
                wrongLogit = tok.logit();
            } else if (t != null && tok.id() == t.contrast().id()) {
                role = "contrast";
                contrastShown = true;
            }
            rows.add(new TopRow(
                    Integer.toString(rank++), Tokens.visible(tok.text()), tok.id(), Fmt.fixed(tok.logit(), 3), role));
        }
        if (t != null && !wrongShown) {
            rows.add(new TopRow("…", Tokens.visible(t.wrong().text()), t.wrong().id(), "–", "wrong"));
        }
        if (t != null && !contrastShown) {
            rows.add(new TopRow(
                    t.contrastRank() == null ? "…" : Integer.toString(t.contrastRank()),
                    Tokens.visible(t.contrast().text()),
                    t.contrast().id(),
                    wrongLogit == null
                            ? "wrong − " + Fmt.fixed(t.logitDiff(), 3)
                            : Fmt.fixed(wrongLogit - t.logitDiff(), 3),
                    "contrast"));
        }
        return rows;
    }

    static List<Term> conservation(AttributionResult.Conservation c) {
        List<Term> out = new ArrayList<>();
        if (c == null) {
            return out;
        }
        out.add(new Term("Δℓ", Fmt.signed(c.logitDiff(), 4), "logit(wrong) − logit(contrast), the explained quantity"));
        out.add(new Term("Σ input relevance", Fmt.signed(c.inputSum(), 4), "what the heatmap distributes"));
        out.add(new Term("bias-absorbed", Fmt.signed(c.biasAbsorbed(), 4), "relevance taken by bias terms"));
        out.add(new Term(
                "softmax-absorbed", Fmt.signed(c.softmaxAbsorbed(), 4), "relevance taken by the AttnLRP softmax rule"));
        out.add(new Term(
                "residual",
                Fmt.sci(c.residual()),
                "Δℓ − (input + bias + softmax); rounding error when the identity holds"));
        double share = c.logitDiff() != 0 ? c.inputSum() / c.logitDiff() : Double.NaN;
        if (Double.isFinite(share)) {
            out.add(new Term(
                    "input share", String.format(Locale.ROOT, "%.1f %%", 100 * share), "Σ input relevance / Δℓ"));
        }
        return out;
    }

    static Faith faith(AttributionResult.FaithfulnessSummary f) {
        if (f == null) {
            return null;
        }
        String verdict;
        if (f.informative()) {
            verdict = String.format(
                    Locale.ROOT,
                    "Zeroing the %d most relevant tokens lowered Δℓ by %s, more than zeroing %d random tokens did (%s) "
                            + "by over the margin of %s: the heatmap points at tokens the model relies on.",
                    f.k(),
                    Fmt.fixed(f.dropTop(), 3),
                    f.k(),
                    Fmt.fixed(f.dropRandom(), 3),
                    Fmt.fixed(f.margin(), 3));
        } else {
            verdict = String.format(
                    Locale.ROOT,
                    "Zeroing the %d most relevant tokens moved Δℓ no more than %d random tokens did (drop %s against "
                            + "%s, margin %s): treat this heatmap as unreliable.",
                    f.k(),
                    f.k(),
                    Fmt.fixed(f.dropTop(), 3),
                    Fmt.fixed(f.dropRandom(), 3),
                    Fmt.fixed(f.margin(), 3));
        }
        return new Faith(
                f.k(),
                Fmt.signed(f.dropTop(), 3),
                Fmt.signed(f.dropRandom(), 3),
                Fmt.fixed(f.margin(), 3),
                f.informative(),
                verdict);
    }

    /** One sentence for results that were not attributed. */
    static String whatHappened(AttributionResult r) {
        if (r.status() == null) {
            return "The result has no status.";
        }
        return switch (r.status()) {
            case ATTRIBUTED -> null;
            case CORRECT -> "The answer was scored correct: nothing to explain.";
            case UNSCORABLE -> "The answer could not be scored against the references.";
            case NO_CONTRAST -> "No contrast token could be found that would have kept the answer right.";
            case LOW_LOGIT_DIFF ->
                r.target() != null && r.target().logitDiff() <= 0
                        ? "This model would not have chosen the output's token there (Δℓ ≤ 0): the output was not what "
                                + "it would have produced (sampling, another model or revision, or a mismatched "
                                + "tokenizer), so there is no preference of this model to explain."
                        : "The wrong token led the contrast by too little for a contrastive attribution "
                                + "to mean much (Δℓ at or below the configured minimum).";
            case MODEL_UNAVAILABLE -> "The model or revision is not in the model registry of this deployment.";
            case INPUT_TOO_LONG -> "The input is longer than the model's context or the configured limit.";
            case FAILED -> "The attribution failed.";
        };
    }
}
