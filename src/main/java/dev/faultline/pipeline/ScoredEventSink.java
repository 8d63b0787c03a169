package dev.faultline.pipeline;

import dev.faultline.triage.ScoredEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where triage hands every scored event: correct and unscorable ones become results, incorrect ones attribution
 * jobs. The ingesting consumer acknowledges its Kafka record only when the returned stage completes.
 */
public interface ScoredEventSink {

    CompletionStage<Void> accept(ScoredEvent scored);

    /**
     * Every event of one polled batch, in order: one stage per event (so one failure sends only its record to the
     * DLQ). A sink may answer the batch together (one Redis round trip instead of one per event).
     */
    default List<CompletionStage<Void>> acceptAll(List<ScoredEvent> batch) {
        List<CompletionStage<Void>> stages = new ArrayList<>(batch.size());
        for (ScoredEvent scored : batch) {
            try {
                stages.add(accept(scored));
            } catch (RuntimeException e) {
                stages.add(CompletableFuture.failedFuture(e));
            }
        }
        return stages;
    }
}
