package dev.faultline.tracking;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.contract.AttributionResult;
import java.util.List;

/**
 * A tracked failure attributed at one revision with its original input, position, wrong and contrast tokens:
 * Δℓ = logit(wrong) − logit(contrast) there, relevance per segment (raw and normalised) and per layer.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrajectoryPoint(
        String revision,
        Long step,
        @JsonProperty("logit_diff") double logitDiff,
        List<AttributionResult.SegmentRelevance> segments,
        List<AttributionResult.LayerRelevance> layers,
        /** relevance of the first (BOS) token, outside every segment */
        @JsonProperty("first_token_relevance") Double firstTokenRelevance,
        @JsonProperty("attributed_at") String attributedAt) {

    /** Fixed at this revision: the contrast token is preferred (Δℓ ≤ 0). */
    public boolean fixed() {
        return logitDiff <= 0;
    }
}
