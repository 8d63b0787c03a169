package dev.faultline.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.store.ResultCache;
import dev.faultline.triage.ScoredEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * The pipeline's {@link ScoredEventSink}: correct and unscorable events become results at once; incorrect ones are
 * first looked up in Redis by event id and input key ({@link InputKeys}): an input seen before is answered here, its
 * stored result re-stamped and published without a job, a model or a contrast search, and a re-delivered event whose
 * result exists publishes nothing. The rest become jobs on {@code attribution.jobs} keyed
 * {@code model@revision#shard} ({@link JobKeys}): one run spreads over S partitions, and so over S workers. The returned stage completes when the broker has acknowledged the result or
 * job (and Redis has linked an answered event to its result), so triage commits its offset only then.
 */
@ApplicationScoped
public class AttributionJobs implements ScoredEventSink {

    /** Outgoing channel of jobs (topic {@value #TOPIC}). */
    public static final String CHANNEL = "attribution-jobs-out";
    public static final String TOPIC = "attribution.jobs";

    @Inject
    @Channel(CHANNEL)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<String> jobs;

    @Inject
    ResultPublisher results;

    @Inject
    ObjectMapper json;

    @Inject
    InputKeys inputKeys;

    @Inject
    ResultCache cache;

    @Inject
    PipelineMetrics metrics;

    @Inject
    AttributionConfig config;

    @Override
    public CompletionStage<Void> accept(ScoredEvent scored) {
        return acceptAll(List.of(scored)).get(0);
    }

    /** The incorrect events of a batch share one Redis look-up (two round trips, whatever the batch size). */
    @Override
    public List<CompletionStage<Void>> acceptAll(List<ScoredEvent> batch) {
        long t0 = System.nanoTime();
        List<CompletionStage<Void>> stages = new ArrayList<>(batch.size());
        List<String> eventIds = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        for (ScoredEvent scored : batch) {
            if (scored.verdict() == Verdict.INCORRECT) {
                eventIds.add(scored.event().eventId());
                inputs.add(inputKeys.of(scored.event()));
            }
        }
        CompletableFuture<List<ResultCache.Known>> known = eventIds.isEmpty() ? null
                : cache.findAllForTriage(eventIds, inputs).subscribeAsCompletionStage();
        int k = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (ScoredEvent scored : batch) {
            try {
                if (scored.verdict() == Verdict.INCORRECT && !seen.add(scored.event().eventId())) {
                    k++; // the same event twice in one poll (a producer's retry): its first copy answers for both
                    stages.add(CompletableFuture.completedFuture(null));
                } else if (scored.verdict() != Verdict.INCORRECT) {
                    AttributionStatus status = scored.verdict() == Verdict.CORRECT ? AttributionStatus.CORRECT
                            : AttributionStatus.UNSCORABLE;
                    stages.add(results.publish(new ResultBuilder(scored.event(), scored.verdict(), status,
                            scored.reason()).build(), false));
                } else {
                    int at = k++;
                    stages.add(known.thenCompose(all -> answer(scored, all.get(at), t0)));
                }
            } catch (RuntimeException e) {
                stages.add(CompletableFuture.failedFuture(e));
            }
        }
        return stages;
    }

    /** An incorrect event after the look-up: nothing (a re-delivery), the stored result re-stamped, or a job. */
    private CompletionStage<Void> answer(ScoredEvent scored, ResultCache.Known known, long t0) {
        if (known.published()) {
            return CompletableFuture.completedFuture(null); // a re-delivery: its result is already on the topic
        }
        if (known.result() == null) {
            return sendJob(scored);
        }
        metrics.phase("triage_cache", (System.nanoTime() - t0) / 1e6);
        return results.publish(ResultBuilder.restamp(known.result(), scored.event()), true)
                .thenCompose(v -> cache.linkEvent(scored.event().eventId(), known.storedAt())
                        .subscribeAsCompletionStage());
    }

    private CompletionStage<Void> sendJob(ScoredEvent scored) {
        AttributionJob job = new AttributionJob(scored.event(), scored.verdict(), scored.answer(),
                System.currentTimeMillis());
        String payload;
        try {
            payload = json.writeValueAsString(job);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("job of " + scored.event().eventId() + " is not serialisable", e);
        }
        String key = JobKeys.of(scored.event(), config.jobShards());
        return jobs.sendMessage(Message.of(payload)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build()))
                .subscribeAsCompletionStage();
    }
}
