package dev.faultline.contract;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The {@code faultline.attribution/v1} result: exactly one per event, on {@code attribution.results} keyed by event id
 * and cached in Redis (DESIGN.md section 2.3). Fields not relevant to a status are null.
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
        /** True when tokenizing prompt + output split differently from prompt and output alone (DESIGN.md 2.2). */
        @JsonProperty("retokenization_mismatch") Boolean retokenizationMismatch,
        Engine engine,
        @JsonProperty("timings_ms") Map<String, Double> timingsMs,
        @JsonProperty("produced_at") String producedAt,
        @JsonProperty("attributed_at") String attributedAt) {

    public static final String SCHEMA = "faultline.attribution/v1";

    /** The explained logit row and the pair of tokens. */
    public record Target(int position, TokenRef wrong, TokenRef contrast, @JsonProperty("logit_diff") double logitDiff,
            @JsonProperty("contrast_rank") Integer contrastRank) {
    }

    public record TokenRef(int id, String text) {
    }

    /**
     * One input token with its character span in {@code prompt + output} and its relevance (null on LOW_LOGIT_DIFF
     * results, which carry the teacher-forced tokens without an attribution so the tracker can re-attribute them).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Token(String text, int id, int start, int end, Double relevance, boolean special, String segment,
            /** Every event segment the token overlaps, in event order, when it is more than one (nested spans). */
            @JsonProperty("in_segments") @JsonInclude(JsonInclude.Include.NON_NULL) List<String> inSegments) {

        public Token(String text, int id, int start, int end, Double relevance, boolean special, String segment) {
            this(text, id, start, end, relevance, special, segment, null);
        }

        /** The segments the token's relevance counts for: {@link #inSegments} when set, else its own segment. */
        public List<String> countsFor() {
            return inSegments != null ? inSegments : segment == null ? List.of() : List.of(segment);
        }
    }

    public record IndexedRelevance(int index, double relevance) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SegmentRelevance(String name, double relevance, Double positive, Double negative, Integer tokens,
            /** relevance divided by the largest |token relevance| excluding the first and special tokens */
            Double normalized) {
    }

    public record LayerRelevance(int layer, double positive, double negative) {
    }

    public record Conservation(@JsonProperty("logit_diff") double logitDiff, @JsonProperty("input_sum") double inputSum,
            @JsonProperty("bias_absorbed") double biasAbsorbed, @JsonProperty("softmax_absorbed") double softmaxAbsorbed,
            double residual) {
    }

    public record FaithfulnessSummary(int k, @JsonProperty("drop_top") double dropTop,
            @JsonProperty("drop_random") double dropRandom, double margin, boolean informative) {
    }

    public record TopToken(int id, String text, double logit) {
    }

    public record Engine(String rules, String softmax, String dtype, String device, String version) {
    }
}
