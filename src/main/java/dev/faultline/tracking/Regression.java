package dev.faultline.tracking;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A tracked failure fixed (Δℓ ≤ 0) at an earlier revision and wrong again (Δℓ > 0) at a later one. */
public record Regression(
        String model,
        String benchmark,
        @JsonProperty("event_id") String eventId,
        @JsonProperty("example_id") String exampleId,
        @JsonProperty("fixed_at") String fixedAt,
        @JsonProperty("fixed_logit_diff") double fixedLogitDiff,
        @JsonProperty("wrong_again_at") String wrongAgainAt,
        @JsonProperty("logit_diff") double logitDiff) {}
