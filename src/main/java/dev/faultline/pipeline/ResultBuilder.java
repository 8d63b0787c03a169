package dev.faultline.pipeline;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Assembles an {@link AttributionResult} field by field (the record has many optional members). */
public final class ResultBuilder {

    private final EvalOutput event;
    public AttributionStatus status;
    public String reason;
    public Verdict verdict;
    public AttributionResult.Target target;
    public List<AttributionResult.Token> tokens;
    public List<AttributionResult.IndexedRelevance> topPositive;
    public List<AttributionResult.IndexedRelevance> topNegative;
    public List<AttributionResult.SegmentRelevance> segments;
    public List<AttributionResult.LayerRelevance> layers;
    public AttributionResult.Conservation conservation;
    public AttributionResult.FaithfulnessSummary faithfulness;
    public List<AttributionResult.TopToken> topTokens;
    public Boolean retokenizationMismatch;
    public AttributionResult.Engine engine;
    public Map<String, Double> timingsMs;
    public AttributionResult.AnswerSpan answerSpan;
    public AttributionResult.Tokenization tokenization;
    public AttributionResult.Text text;

    public ResultBuilder(EvalOutput event, Verdict verdict, AttributionStatus status, String reason) {
        this.event = event;
        this.verdict = verdict;
        this.status = status;
        this.reason = reason;
    }

    public AttributionResult build() {
        return new AttributionResult(
                AttributionResult.SCHEMA,
                event.eventId(),
                event.runId(),
                event.model(),
                event.benchmark(),
                event.exampleId(),
                status,
                reason,
                verdict,
                target,
                tokens,
                topPositive,
                topNegative,
                segments,
                layers,
                conservation,
                faithfulness,
                topTokens,
                retokenizationMismatch,
                engine,
                timingsMs,
                event.producedAt(),
                Instant.now().toString(),
                answerSpan,
                tokenization,
                text);
    }

    /** The same result re-stamped with another event's identity (a content-cache hit for a different event). */
    public static AttributionResult restamp(AttributionResult r, EvalOutput event) {
        return restamp(r, event, r.tokens(), r.segments());
    }

    /** As {@link #restamp(AttributionResult, EvalOutput)} with the tokens and segment sums replaced. */
    public static AttributionResult restamp(
            AttributionResult r,
            EvalOutput event,
            List<AttributionResult.Token> tokens,
            List<AttributionResult.SegmentRelevance> segments) {
        return restamp(r, event, tokens, segments, r.answerSpan(), r.tokenization(), r.text());
    }

    /** As above, with the event-specific answer span, tokenization report and text replaced too. */
    public static AttributionResult restamp(
            AttributionResult r,
            EvalOutput event,
            List<AttributionResult.Token> tokens,
            List<AttributionResult.SegmentRelevance> segments,
            AttributionResult.AnswerSpan answerSpan,
            AttributionResult.Tokenization tokenization,
            AttributionResult.Text text) {
        return new AttributionResult(
                r.schema(),
                event.eventId(),
                event.runId(),
                event.model(),
                event.benchmark(),
                event.exampleId(),
                r.status(),
                r.reason(),
                r.verdict(),
                r.target(),
                tokens,
                r.topPositive(),
                r.topNegative(),
                segments,
                r.layers(),
                r.conservation(),
                r.faithfulness(),
                r.topTokens(),
                r.retokenizationMismatch(),
                r.engine(),
                r.timingsMs(),
                event.producedAt(),
                r.attributedAt(),
                answerSpan,
                tokenization,
                text);
    }
}
