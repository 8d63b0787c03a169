package dev.faultline.pipeline;

import dev.faultline.channels.Channels;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.metrics.PipelineMetrics;
import dev.faultline.store.ResultCache;
import dev.faultline.triage.ScoredEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * The pipeline's {@link ScoredEventSink}: correct and unscorable events become results at once, unless their event
 * id is linked to a result already (a re-delivery publishes nothing; the result is then stored and linked in Redis
 * like the worker's, see {@link ResultCache#storeDirect}); incorrect ones are
 * first looked up in Redis by event id and input key ({@link InputKeys}): an input seen before is answered here, its
 * stored result re-stamped and published without a job, a model or a contrast search, and a re-delivered event whose
 * result exists publishes nothing. The rest become jobs on {@code attribution.jobs} keyed
 * {@code model@revision#shard} ({@link JobKeys}): one run spreads over S partitions, and so over S workers. The returned stage completes when the broker has acknowledged the result or
 * job (and Redis has linked an answered event to its result), so triage commits its offset only then.
 * <p>
 * What stays at least once: with Redis unreachable, an event re-delivered to another process (a rebalance, a
 * restart) than the one that published its result is published again; the process that published it remembers the
 * id ({@link ResultPublisher#publishedHere}) and publishes nothing. A result published whose Redis link failed is
 * likewise published again by a re-delivery elsewhere. The results topic is compacted by event id, so a reader of the
 * compacted topic sees one result per event (the last; both carry the same verdict), a reader that follows the
 * topic live may see the second copy.
 */
@ApplicationScoped
public class AttributionJobs implements ScoredEventSink {

    @Inject
    @Channel(Channels.ATTRIBUTION_JOBS_OUT)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<AttributionJob> jobs;

    @Inject
    ResultPublisher results;

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
        List<String> directIds = new ArrayList<>();
        for (ScoredEvent scored : batch) {
            if (scored.verdict() == Verdict.INCORRECT) {
                eventIds.add(scored.event().eventId());
                inputs.add(inputKeys.of(scored.event()));
            } else {
                directIds.add(scored.event().eventId());
            }
        }
        CompletableFuture<List<ResultCache.Known>> known = eventIds.isEmpty()
                ? null
                : cache.findAllForTriage(eventIds, inputs).subscribeAsCompletionStage();
        CompletableFuture<List<Boolean>> linked =
                directIds.isEmpty() ? null : cache.linkedForTriage(directIds).subscribeAsCompletionStage();
        int k = 0;
        int d = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (ScoredEvent scored : batch) {
            boolean incorrect = scored.verdict() == Verdict.INCORRECT;
            int at = incorrect ? k++ : d++;
            try {
                if (!seen.add(scored.event().eventId())) {
                    // the same event twice in one poll (a producer's retry): its first copy answers for both
                    stages.add(CompletableFuture.completedFuture(null));
                } else if (!incorrect) {
                    stages.add(linked.thenCompose(all -> direct(scored, all.get(at))));
                } else {
                    stages.add(known.thenCompose(all -> answer(scored, all.get(at), t0)));
                }
            } catch (RuntimeException e) {
                stages.add(CompletableFuture.failedFuture(e));
            }
        }
        return stages;
    }

    /** A correct or unscorable event: nothing when its result is out already, else the result, stored and linked. */
    private CompletionStage<Void> direct(ScoredEvent scored, boolean linked) {
        if (linked || results.publishedHere(scored.event().eventId())) {
            return CompletableFuture.completedFuture(null); // a re-delivery: its result is already on the topic
        }
        AttributionStatus status =
                scored.verdict() == Verdict.CORRECT ? AttributionStatus.CORRECT : AttributionStatus.UNSCORABLE;
        AttributionResult result = new ResultBuilder(scored.event(), scored.verdict(), status, scored.reason()).build();
        return results.publish(result, false)
                .thenCompose(v -> cache.storeDirect(result).subscribeAsCompletionStage());
    }

    /** An incorrect event after the look-up: nothing (a re-delivery), the stored result re-stamped, or a job. */
    private CompletionStage<Void> answer(ScoredEvent scored, ResultCache.Known known, long t0) {
        if (known.published() || results.publishedHere(scored.event().eventId())) {
            return CompletableFuture.completedFuture(null); // a re-delivery: its result is already on the topic
        }
        if (known.result() == null) {
            return sendJob(scored);
        }
        metrics.phase("triage_cache", (System.nanoTime() - t0) / 1e6);
        return results.publish(
                        known.result().toBuilder().identity(scored.event()).build(), true)
                .thenCompose(v -> cache.linkEvent(scored.event().eventId(), known.storedAt())
                        .subscribeAsCompletionStage());
    }

    private CompletionStage<Void> sendJob(ScoredEvent scored) {
        AttributionJob job =
                new AttributionJob(scored.event(), scored.verdict(), scored.answer(), System.currentTimeMillis());
        String key = JobKeys.of(scored.event(), config.jobShards());
        return jobs.sendMessage(Message.of(job)
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                                .withKey(key)
                                .build()))
                .subscribeAsCompletionStage();
    }
}
