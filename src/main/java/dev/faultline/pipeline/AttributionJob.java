package dev.faultline.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;

/**
 * One failure to explain, as published on {@code attribution.jobs} (key {@code model@revision#shard}, {@link JobKeys}): the event, its
 * verdict, the answer triage extracted, and when it was enqueued (epoch millis, for queue latency).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AttributionJob(
        EvalOutput event,
        Verdict verdict,
        String answer,
        @JsonProperty("enqueued_at_ms") long enqueuedAtMs) {}
