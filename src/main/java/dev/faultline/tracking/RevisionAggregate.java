package dev.faultline.tracking;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A tracked set at one revision: how many of its failures have a point there, mean and median Δℓ, how many are fixed
 * (Δℓ ≤ 0), and mean relevance per segment, raw and normalised (each failure divided by its largest |relevance|
 * excluding the first token and special tokens, as in the paper).
 */
public record RevisionAggregate(
        String revision,
        Long step,
        int tracked,
        @JsonProperty("mean_logit_diff") double meanLogitDiff,
        @JsonProperty("median_logit_diff") double medianLogitDiff,
        int fixed,
        @JsonProperty("share_fixed") double shareFixed,
        List<SegmentMean> segments) {

    /** Mean relevance of one segment over the failures with relevance at this revision. */
    public record SegmentMean(
            String name,
            @JsonProperty("mean_relevance") double meanRelevance,
            @JsonProperty("mean_normalized") double meanNormalized,
            int failures) {}
}
