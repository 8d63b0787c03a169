package dev.faultline.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The {@code faultline.attribution/v1} result: exactly one per event, on {@code attribution.results} keyed by event id
 * and cached in Redis (docs/contract.md, the result). Fields not relevant to a status are null.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AttributionResult(
        String schema,
        @JsonProperty("event_id") String eventId,
        @JsonProperty("run_id") String runId,
        EvalOutput.ModelRef model,
        String benchmark,
        @JsonProperty("example_id") String exampleId,
        AttributionStatus status,
        /** Human-readable reason for every status but ATTRIBUTED and CORRECT. */
        String reason,
        Verdict verdict,
        Target target,
        List<Token> tokens,
        @JsonProperty("top_positive") List<IndexedRelevance> topPositive,
        @JsonProperty("top_negative") List<IndexedRelevance> topNegative,
        List<SegmentRelevance> segments,
        List<LayerRelevance> layers,
        Conservation conservation,
        FaithfulnessSummary faithfulness,
        @JsonProperty("top_tokens") List<TopToken> topTokens,
        /** True when tokenizing prompt + output split differently from prompt and output alone (docs/contract.md, the contrastive pair). */
        @JsonProperty("retokenization_mismatch") Boolean retokenizationMismatch,
        Engine engine,
        @JsonProperty("timings_ms") Map<String, Double> timingsMs,
        @JsonProperty("produced_at") String producedAt,
        @JsonProperty("attributed_at") String attributedAt,
        /** Where the scored answer lies in the output (when the event's answer was located there). */
        @JsonProperty("answer_span") AnswerSpan answerSpan,
        /** Which ids were attributed (the producer's or the text's) and whether they differ. */
        Tokenization tokenization,
        /** The prompt and output of a failure that was not attributed, with the error position when one was found. */
        Text text) {

    public static final String SCHEMA = "faultline.attribution/v1";

    /** A builder holding this result's fields, to copy it with some of them changed. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * A result assembled field by field, new or from {@link #toBuilder()}: the one place besides the record's components
     * that names every field.
     */
    public static class Builder {
        public String schema = SCHEMA;
        public String eventId;
        public String runId;
        public EvalOutput.ModelRef model;
        public String benchmark;
        public String exampleId;
        public AttributionStatus status;
        public String reason;
        public Verdict verdict;
        public Target target;
        public List<Token> tokens;
        public List<IndexedRelevance> topPositive;
        public List<IndexedRelevance> topNegative;
        public List<SegmentRelevance> segments;
        public List<LayerRelevance> layers;
        public Conservation conservation;
        public FaithfulnessSummary faithfulness;
        public List<TopToken> topTokens;
        public Boolean retokenizationMismatch;
        public Engine engine;
        public Map<String, Double> timingsMs;
        public String producedAt;
        public String attributedAt;
        public AnswerSpan answerSpan;
        public Tokenization tokenization;
        public Text text;

        /** An empty builder: schema {@link #SCHEMA}, every other field null. */
        public Builder() {}

        private Builder(AttributionResult r) {
            schema = r.schema;
            eventId = r.eventId;
            runId = r.runId;
            model = r.model;
            benchmark = r.benchmark;
            exampleId = r.exampleId;
            status = r.status;
            reason = r.reason;
            verdict = r.verdict;
            target = r.target;
            tokens = r.tokens;
            topPositive = r.topPositive;
            topNegative = r.topNegative;
            segments = r.segments;
            layers = r.layers;
            conservation = r.conservation;
            faithfulness = r.faithfulness;
            topTokens = r.topTokens;
            retokenizationMismatch = r.retokenizationMismatch;
            engine = r.engine;
            timingsMs = r.timingsMs;
            producedAt = r.producedAt;
            attributedAt = r.attributedAt;
            answerSpan = r.answerSpan;
            tokenization = r.tokenization;
            text = r.text;
        }

        /**
         * Stamps the identity a result carries from its event rather than from its content: event id, run id, model,
         * benchmark, example id and produced_at.
         */
        public Builder identity(
                String eventId,
                String runId,
                EvalOutput.ModelRef model,
                String benchmark,
                String exampleId,
                String producedAt) {
            this.eventId = eventId;
            this.runId = runId;
            this.model = model;
            this.benchmark = benchmark;
            this.exampleId = exampleId;
            this.producedAt = producedAt;
            return this;
        }

        /** As {@link #identity(String, String, EvalOutput.ModelRef, String, String, String)}, from the event. */
        public Builder identity(EvalOutput event) {
            return identity(
                    event.eventId(),
                    event.runId(),
                    event.model(),
                    event.benchmark(),
                    event.exampleId(),
                    event.producedAt());
        }

        public AttributionResult build() {
            return new AttributionResult(
                    schema,
                    eventId,
                    runId,
                    model,
                    benchmark,
                    exampleId,
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
                    producedAt,
                    attributedAt,
                    answerSpan,
                    tokenization,
                    text);
        }
    }

    /**
     * The answer's characters {@code [start, end)} in the output; {@code promptChars} is the length of the prompt, so
     * {@code promptChars + start} is the answer's offset in the tokens' coordinates (prompt + output).
     */
    public record AnswerSpan(
            int start,
            int end,
            @JsonProperty("prompt_chars") int promptChars) {}

    /**
     * {@code source}: {@code producer} when the event's token ids were attributed, {@code text} when Faultline
     * tokenized the text; {@code mismatch}: whether the producer's ids differ from Faultline's tokenization of the
     * same text, first at {@code first_mismatch_index} (an index into prompt ids followed by output ids);
     * {@code leading_space_restored}: the output's first word lost its space in the producer's decoding and was
     * attributed with it (output offsets then count that space).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Tokenization(
            String source,
            boolean mismatch,
            @JsonProperty("first_mismatch_index") Integer firstMismatchIndex,
            @JsonProperty("leading_space_restored") Boolean leadingSpaceRestored) {

        public Tokenization(String source, boolean mismatch, Integer firstMismatchIndex) {
            this(source, mismatch, firstMismatchIndex, null);
        }
    }

    /** The text a skipped failure is shown with; {@code error_char} is the error token's offset in the output. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Text(
            String prompt,
            String output,
            @JsonProperty("error_char") Integer errorChar) {}

    /** The explained logit row and the pair of tokens. */
    public record Target(
            int position,
            TokenRef wrong,
            TokenRef contrast,
            @JsonProperty("logit_diff") double logitDiff,
            @JsonProperty("contrast_rank") Integer contrastRank) {}

    public record TokenRef(int id, String text) {}

    /**
     * One input token with its character span in {@code prompt + output} and its relevance (null on LOW_LOGIT_DIFF
     * results, which carry the teacher-forced tokens without an attribution so the tracker can re-attribute them).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Token(
            String text,
            int id,
            int start,
            int end,
            Double relevance,
            boolean special,
            String segment,
            /** Every event segment the token overlaps, in event order, when it is more than one (nested spans). */
            @JsonProperty("in_segments") @JsonInclude(JsonInclude.Include.NON_NULL)
            List<String> inSegments) {

        public Token(String text, int id, int start, int end, Double relevance, boolean special, String segment) {
            this(text, id, start, end, relevance, special, segment, null);
        }

        /** The segments the token's relevance counts for: {@link #inSegments} when set, else its own segment. */
        public List<String> countsFor() {
            return inSegments != null ? inSegments : segment == null ? List.of() : List.of(segment);
        }
    }

    public record IndexedRelevance(int index, double relevance) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SegmentRelevance(
            String name,
            double relevance,
            Double positive,
            Double negative,
            Integer tokens,
            /** relevance divided by the largest |token relevance| excluding the first and special tokens */
            Double normalized) {}

    public record LayerRelevance(int layer, double positive, double negative) {}

    public record Conservation(
            @JsonProperty("logit_diff") double logitDiff,
            @JsonProperty("input_sum") double inputSum,
            @JsonProperty("bias_absorbed") double biasAbsorbed,
            @JsonProperty("softmax_absorbed") double softmaxAbsorbed,
            double residual) {}

    public record FaithfulnessSummary(
            int k,
            @JsonProperty("drop_top") double dropTop,
            @JsonProperty("drop_random") double dropRandom,
            double margin,
            boolean informative) {}

    public record TopToken(int id, String text, double logit) {}

    public record Engine(String rules, String softmax, String dtype, String device, String version) {}
}
