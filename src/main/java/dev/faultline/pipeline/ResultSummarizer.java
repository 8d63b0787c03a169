package dev.faultline.pipeline;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.TokenizedText;
import dev.faultline.triage.ContrastPair;
import dev.faultline.triage.PairSearch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Turns an engine {@link Attribution} of one failure into the v1 result (docs/contract.md, the result): per-token relevance
 * with character spans in {@code prompt + output}, top tokens, relevance per segment (the event's segments, {@code
 * answer} for the completion prefix, {@code other} for the rest of the prompt), per-layer sums, conservation terms,
 * faithfulness and engine settings. Plain Java: the web view and the trajectory tracker reuse it.
 */
public final class ResultSummarizer {

    public static final String ANSWER = "answer";
    public static final String OTHER = "other";

    private final int topRelevant;
    private final String version;

    /** @param topRelevant how many tokens top_positive/top_negative list; {@code version} goes to engine.version */
    public ResultSummarizer(int topRelevant, String version) {
        this.topRelevant = topRelevant;
        this.version = version;
    }

    /** The target of a pair (position = the logit row that predicts the wrong token). */
    public static AttributionResult.Target target(ContrastPair pair, double logitDiff) {
        return new AttributionResult.Target(
                pair.position(),
                new AttributionResult.TokenRef(pair.wrong(), pair.wrongText()),
                new AttributionResult.TokenRef(pair.contrast(), pair.contrastText()),
                logitDiff,
                pair.contrastRank());
    }

    /** An ATTRIBUTED result, with the search's answer span and tokenization report. */
    public AttributionResult summarize(
            EvalOutput event,
            Verdict verdict,
            ContrastPair pair,
            Attribution a,
            TextTokenizer tokenizer,
            PairSearch search,
            Map<String, Double> timingsMs) {
        return summarize(
                event,
                verdict,
                pair,
                a,
                tokenizer,
                search.retokenizationMismatch(),
                timingsMs,
                search.answerSpan(),
                search.tokenization());
    }

    /** An ATTRIBUTED result. */
    public AttributionResult summarize(
            EvalOutput event,
            Verdict verdict,
            ContrastPair pair,
            Attribution a,
            TextTokenizer tokenizer,
            boolean retokenizationMismatch,
            Map<String, Double> timingsMs) {
        return summarize(event, verdict, pair, a, tokenizer, retokenizationMismatch, timingsMs, null, null);
    }

    private AttributionResult summarize(
            EvalOutput event,
            Verdict verdict,
            ContrastPair pair,
            Attribution a,
            TextTokenizer tokenizer,
            boolean retokenizationMismatch,
            Map<String, Double> timingsMs,
            AttributionResult.AnswerSpan answerSpan,
            AttributionResult.Tokenization tokenization) {
        ResultBuilder b = new ResultBuilder(event, verdict, AttributionStatus.ATTRIBUTED, null);
        b.answerSpan = answerSpan;
        b.tokenization = tokenization;
        TokenizedText t = pair.text();
        int n = pair.tokenIndex();
        double[] rel = a.inputRelevance();
        if (a.positionRelevance() != null) {
            rel = rel.clone();
            for (int i = 0; i < n; i++) {
                rel[i] += a.positionRelevance()[i];
            }
        }
        List<AttributionResult.Token> tokens = inputTokens(event, pair, tokenizer, rel);
        b.target = target(pair, a.logitDiff());
        b.tokens = tokens;
        final double[] r = rel;
        List<Integer> ordinary =
                IntStream.range(0, n).filter(i -> !t.special()[i]).boxed().toList();
        b.topPositive = ordinary.stream()
                .filter(i -> r[i] > 0)
                .sorted(Comparator.comparingDouble(i -> -r[i]))
                .limit(topRelevant)
                .map(i -> new AttributionResult.IndexedRelevance(i, r[i]))
                .toList();
        b.topNegative = ordinary.stream()
                .filter(i -> r[i] < 0)
                .sorted(Comparator.comparingDouble(i -> r[i]))
                .limit(topRelevant)
                .map(i -> new AttributionResult.IndexedRelevance(i, r[i]))
                .toList();
        b.segments = segments(
                tokens,
                event.segments(),
                normalizer(tokens),
                event.prompt() + event.output(),
                event.prompt().length());
        b.layers = layers(a.layerInputRelevance());
        double inputSum = 0;
        for (double v : rel) {
            inputSum += v;
        }
        b.conservation = new AttributionResult.Conservation(
                a.logitDiff(), inputSum, a.biasTotal(), a.softmaxAbsorbedTotal(), a.identityResidual());
        if (a.faithfulness() != null) {
            var f = a.faithfulness();
            b.faithfulness = new AttributionResult.FaithfulnessSummary(
                    f.k(), f.dropTop(), f.dropRandom(), f.margin(), f.informative());
        }
        if (a.topTokens() != null) {
            b.topTokens = a.topTokens().stream()
                    .map(x -> new AttributionResult.TopToken(x.id(), x.text(), x.logit()))
                    .toList();
        }
        b.retokenizationMismatch = retokenizationMismatch;
        b.engine = engine(a);
        b.timingsMs = timingsMs;
        return b.build();
    }

    /**
     * A result stored under a content key, re-stamped for another event that reached the same token ids and pair:
     * relevances, target, layers and conservation depend on the ids only and are kept; the token spans, each token's
     * segment and the segment sums depend on this event's text and segments and are derived again (the same ids can
     * come from a different prompt/output split or with other segments).
     */
    public static AttributionResult forEvent(
            AttributionResult cached, EvalOutput event, ContrastPair pair, TextTokenizer tokenizer) {
        List<AttributionResult.Token> tokens = cached.tokens();
        List<AttributionResult.SegmentRelevance> segs = cached.segments();
        if (tokens != null && tokens.size() == pair.tokenIndex()) {
            double[] rel = null;
            if (tokens.stream().allMatch(tk -> tk.relevance() != null)) {
                rel = tokens.stream()
                        .mapToDouble(AttributionResult.Token::relevance)
                        .toArray();
            }
            tokens = inputTokens(event, pair, tokenizer, rel);
            if (segs != null && rel != null) {
                segs = segments(
                        tokens,
                        event.segments(),
                        normalizer(tokens),
                        event.prompt() + event.output(),
                        event.prompt().length());
            }
        }
        AttributionResult.Builder b = cached.toBuilder().identity(event);
        b.tokens = tokens;
        b.segments = segs;
        return b.build();
    }

    /**
     * The attribution input's tokens (teacher-forced ids {@code pair.inputIds()}) with text, span, segment and
     * relevance; {@code relevance} null gives tokens without relevance (LOW_LOGIT_DIFF results, for the tracker).
     */
    public static List<AttributionResult.Token> inputTokens(
            EvalOutput event, ContrastPair pair, TextTokenizer tokenizer, double[] relevance) {
        String text = event.prompt() + event.output();
        int promptLength = event.prompt().length();
        TokenizedText t = pair.text();
        int n = pair.tokenIndex();
        List<AttributionResult.Token> tokens = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean special = t.special()[i];
            String tokenText = special ? t.tokens()[i] : tokenizer.tokenText(t.ids()[i]);
            List<String> in =
                    special ? List.of() : memberships(text, t.starts()[i], t.ends()[i], promptLength, event.segments());
            String segment = special ? null : in.isEmpty() ? OTHER : in.get(0);
            tokens.add(new AttributionResult.Token(
                    tokenText,
                    t.ids()[i],
                    t.starts()[i],
                    t.ends()[i],
                    relevance == null ? null : relevance[i],
                    special,
                    segment,
                    in.size() > 1 ? in : null));
        }
        return tokens;
    }

    public AttributionResult.Engine engine(Attribution a) {
        return new AttributionResult.Engine(
                a.method().label(), a.softmax().label(), a.dtype().label(), a.device(), version);
    }

    /**
     * The segment of a token: {@code answer} when it starts in the output, else the first event segment its
     * characters overlap (its leading space excluded), else {@code other}.
     */
    public static String segmentOf(
            String text, int start, int end, int promptLength, List<EvalOutput.Segment> segments) {
        List<String> in = memberships(text, start, end, promptLength, segments);
        return in.isEmpty() ? OTHER : in.get(0);
    }

    /**
     * Every segment a token belongs to, the ONE rule for token segments and segment sums: {@code [answer]} when the
     * token starts in the output, else every event segment (in event order) its characters overlap, one leading
     * space excluded; empty when none ({@code other}).
     */
    public static List<String> memberships(
            String text, int start, int end, int promptLength, List<EvalOutput.Segment> segments) {
        int s = start;
        if (s < end && s < text.length() && Character.isWhitespace(text.charAt(s))) {
            s++;
        }
        if (s >= promptLength) {
            return List.of(ANSWER);
        }
        List<String> in = new ArrayList<>(1);
        if (segments != null && s < end) {
            for (EvalOutput.Segment seg : segments) {
                if (s < seg.end() && end > seg.start() && !in.contains(seg.name())) {
                    in.add(seg.name());
                }
            }
        }
        return in;
    }

    /** The largest |relevance| excluding the first token and special tokens (the heatmap normaliser, docs/engine.md). */
    public static double normalizer(List<AttributionResult.Token> tokens) {
        double max = 0;
        for (int i = 1; i < tokens.size(); i++) {
            if (!tokens.get(i).special() && tokens.get(i).relevance() != null) {
                max = Math.max(max, Math.abs(tokens.get(i).relevance()));
            }
        }
        return max;
    }

    /**
     * Relevance per segment in the event's order, then {@code answer} and {@code other}, for tokens whose segments are
     * not known yet: each token's {@link #memberships} from the text, then {@link #segments(List, List, double)}.
     */
    public static List<AttributionResult.SegmentRelevance> segments(
            List<AttributionResult.Token> tokens,
            List<EvalOutput.Segment> eventSegments,
            double normalizer,
            String text,
            int promptLength) {
        List<AttributionResult.Token> placed = new ArrayList<>(tokens.size());
        for (AttributionResult.Token t : tokens) {
            List<String> in =
                    t.special() ? List.of() : memberships(text, t.start(), t.end(), promptLength, eventSegments);
            placed.add(new AttributionResult.Token(
                    t.text(),
                    t.id(),
                    t.start(),
                    t.end(),
                    t.relevance(),
                    t.special(),
                    t.special() ? null : in.isEmpty() ? OTHER : in.get(0),
                    in.size() > 1 ? in : null));
        }
        return segments(placed, eventSegments, normalizer);
    }

    private static void add(double[] s, double relevance) {
        s[0] += relevance;
        if (relevance > 0) {
            s[1] += relevance;
        } else {
            s[2] += relevance;
        }
        s[3]++;
    }

    private static List<AttributionResult.SegmentRelevance> summaries(Map<String, double[]> sums, double normalizer) {
        List<AttributionResult.SegmentRelevance> out = new ArrayList<>();
        sums.forEach((name, s) -> {
            if (s[3] > 0 || !OTHER.equals(name)) {
                out.add(new AttributionResult.SegmentRelevance(
                        name, s[0], s[1], s[2], (int) s[3], normalizer > 0 ? s[0] / normalizer : null));
            }
        });
        return out;
    }

    /**
     * Relevance per segment in the event's order, then {@code answer} and {@code other}: each token counts for every
     * segment it belongs to ({@link AttributionResult.Token#countsFor}: event segments may overlap, e.g. the demo's
     * {@code cause_a} inside {@code operand_a}, and each sums every token it covers). Used for live results and by
     * the failure tracker's re-attributions alike, so both sum the same way.
     */
    public static List<AttributionResult.SegmentRelevance> segments(
            List<AttributionResult.Token> tokens, List<EvalOutput.Segment> eventSegments, double normalizer) {
        Map<String, double[]> sums = new LinkedHashMap<>(); // sum, positive, negative, count
        if (eventSegments != null) {
            eventSegments.forEach(s -> sums.putIfAbsent(s.name(), new double[4]));
        }
        sums.putIfAbsent(ANSWER, new double[4]);
        for (AttributionResult.Token t : tokens) {
            if (t.relevance() != null && !t.special()) {
                for (String name : t.countsFor()) {
                    add(sums.computeIfAbsent(name, k -> new double[4]), t.relevance());
                }
            }
        }
        return summaries(sums, normalizer);
    }

    /** Positive and negative relevance of the residual stream entering each layer (row L: the final one). */
    public static List<AttributionResult.LayerRelevance> layers(double[][] layerInput) {
        List<AttributionResult.LayerRelevance> out = new ArrayList<>();
        if (layerInput == null) {
            return out;
        }
        for (int l = 0; l < layerInput.length; l++) {
            double pos = 0;
            double neg = 0;
            for (double v : layerInput[l]) {
                if (v > 0) {
                    pos += v;
                } else {
                    neg += v;
                }
            }
            out.add(new AttributionResult.LayerRelevance(l, pos, neg));
        }
        return out;
    }
}
