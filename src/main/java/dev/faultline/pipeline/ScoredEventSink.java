package dev.faultline.pipeline;

import java.util.concurrent.CompletionStage;

import dev.faultline.triage.ScoredEvent;

/**
 * Where triage hands every scored event: correct and unscorable ones become results, incorrect ones attribution
 * jobs. The ingesting consumer acknowledges its Kafka record only when the returned stage completes.
 */
public interface ScoredEventSink {

    CompletionStage<Void> accept(ScoredEvent scored);
}
