package dev.faultline.pipeline;

import dev.faultline.channels.Channels;
import dev.faultline.metrics.IngestMetrics;
import dev.faultline.triage.AnswerScorer;
import dev.faultline.triage.ScoredEvent;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Consumes {@code eval.outputs} in batches: validates each record, scores valid events (on its own thread, off the
 * event loop) and hands them to the
 * {@link ScoredEventSink}; invalid records, and events the sink fails on, go to {@code eval.outputs.dlq}. The batch
 * is acknowledged only when every sink stage and every DLQ write has completed (throttled commits then move the
 * offsets), so nothing is dropped silently and one bad record never stops the consumer.
 */
@ApplicationScoped
public class EventIngestor {

    /** DLQ reason code when the sink fails on a valid event. */
    public static final String PROCESSING = "processing";

    private static final Logger LOG = Logger.getLogger(EventIngestor.class);

    private final EventValidator validator;
    private final AnswerScorer scorer;
    private final ScoredEventSink sink;
    private final DeadLetters deadLetters;
    private final IngestMetrics metrics;

    public EventIngestor(
            EventValidator validator,
            AnswerScorer scorer,
            ScoredEventSink sink,
            DeadLetters deadLetters,
            IngestMetrics metrics) {
        this.validator = validator;
        this.scorer = scorer;
        this.sink = sink;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    /**
     * Validation and scoring of a batch run here, not on the connector's Vert.x event loop: a large event's JSON
     * Schema check or a slow (linear, budgeted) pattern must not hold the loop that also serves the consumer's polls.
     * One thread: batches are handed over one at a time (the next after this one's stage completes), so
     * per-partition order is kept, and a batch is acknowledged only once every result or DLQ write is done.
     */
    private final java.util.concurrent.ExecutorService scoring =
            java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "faultline-triage-scoring");
                t.setDaemon(true);
                return t;
            });

    @Incoming(Channels.EVAL_OUTPUTS_IN)
    public CompletionStage<Void> consume(KafkaRecordBatch<String, byte[]> batch) {
        return CompletableFuture.supplyAsync(() -> process(batch), scoring).thenCompose(stage -> stage);
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        scoring.shutdown();
    }

    private CompletionStage<Void> process(KafkaRecordBatch<String, byte[]> batch) {
        List<KafkaRecord<String, byte[]>> records = batch.getRecords();
        CompletableFuture<?>[] stages = new CompletableFuture<?>[records.size()];
        List<ScoredEvent> scored = new ArrayList<>(records.size());
        List<Integer> scoredAt = new ArrayList<>(records.size());
        for (int i = 0; i < stages.length; i++) {
            KafkaRecord<String, byte[]> record = records.get(i);
            metrics.received(
                    record.getTimestamp() == null ? 0 : record.getTimestamp().toEpochMilli());
            try {
                ScoredEvent s = scorer.score(validator.validate(record.getPayload()));
                metrics.scored(s);
                scored.add(s);
                scoredAt.add(i);
            } catch (InvalidEventException e) {
                stages[i] = toDlq(record, e.reason(), e.getMessage()).toCompletableFuture();
            }
        }
        List<CompletionStage<Void>> accepted;
        try {
            accepted = sink.acceptAll(scored);
        } catch (RuntimeException e) {
            accepted = new ArrayList<>();
            for (int k = 0; k < scored.size(); k++) {
                accepted.add(CompletableFuture.failedFuture(e));
            }
        }
        for (int k = 0; k < scored.size(); k++) {
            int i = scoredAt.get(k);
            stages[i] = orDlq(records.get(i), scored.get(k), accepted.get(k)).toCompletableFuture();
        }
        return CompletableFuture.allOf(stages).handle((ok, failure) -> failure).thenCompose(failure -> {
            if (failure == null) {
                return batch.ack();
            }
            LOG.errorf(failure, "a DLQ write failed; the batch of %d records is nacked", stages.length);
            return batch.nack(failure);
        });
    }

    /** The sink's stage for one event; when it fails, the record goes to the DLQ with the reason. */
    private CompletionStage<Void> orDlq(
            KafkaRecord<String, byte[]> record, ScoredEvent scored, CompletionStage<Void> accepted) {
        return accepted.handle((ok, failure) -> failure).thenCompose(failure -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(null);
            }
            LOG.warnf(
                    failure,
                    "sink failed on event %s; sending it to the DLQ",
                    scored.event().eventId());
            return toDlq(record, PROCESSING, "sink failed: " + failure);
        });
    }

    private CompletionStage<Void> toDlq(KafkaRecord<String, byte[]> record, String code, String reason) {
        IncomingKafkaRecordMetadata<?, ?> meta =
                record.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
        long offset = meta == null ? -1 : meta.getOffset();
        return deadLetters.send(
                record.getKey(), record.getPayload(), code, reason, record.getTopic(), record.getPartition(), offset);
    }
}
