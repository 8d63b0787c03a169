package dev.faultline.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Channels;
import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.metrics.PipelineMetrics;
import dev.faultline.store.ResultCache;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Consumes {@code attribution.jobs} (roles {@code worker} and {@code all}) and runs each job on one dedicated thread,
 * the engine's rule (DJL allows one gradient collector per JVM). A job's Kafka record is acknowledged only after its
 * result is on {@code attribution.results} and linked in Redis, so its offset is committed only then: a crash
 * re-delivers the job. One result per event: the event-id link in Redis ({@code faultline:event:<id>}) answers a
 * re-delivery of a finished job; a claim ({@link JobClaims}) keeps a second worker from running an event another live
 * worker is running (a rebalance hands its partition on while the first still works), and a publishing mark lets the
 * worker that takes over from a dead one find a result that reached the topic before its link did.
 * <p>
 * At most {@code faultline.attribution.queue-capacity} jobs are admitted (one running, the rest queued; gauge
 * {@code faultline_jobs_queued}); beyond that the connector stops receiving (its own bounded buffer, then paused
 * partitions). Acknowledgements may come out of order only across publish/cache latency. Commit strategy {@code throttled} with a raised
 * {@code throttled.unprocessed-record-max-age.ms} (application.properties): a long attribution must not mark the
 * consumer unhealthy, which the default 60 s would do on a large model on CPU.
 */
@ApplicationScoped
public class AttributionWorker {

    private static final Logger LOG = Logger.getLogger(AttributionWorker.class);

    @Inject
    JobProcessor processor;

    @Inject
    ResultPublisher publisher;

    @Inject
    ResultCache cache;

    @Inject
    LiveJobCounter liveJobs;

    @Inject
    ObjectMapper json;

    @Inject
    AttributionConfig config;

    @Inject
    JobClaims claims;

    @Inject
    InputKeys inputKeys;

    @Inject
    dev.faultline.store.ResultTopicReader topic;

    @Inject
    JobAttempts attempts;

    @Inject
    JobDeadLetters deadLetters;

    @Inject
    PipelineMetrics metrics;

    private static final long CLAIM_POLL_MILLIS = 100;

    private volatile ThreadPoolExecutor executor;
    private final java.util.concurrent.ExecutorService cacheWriter =
            java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "faultline-cache-writer");
                t.setDaemon(true);
                return t;
            });

    private ThreadPoolExecutor executor() {
        if (executor == null) {
            synchronized (this) {
                if (executor == null) {
                    // one thread per job of a batch: each prepares its job (claim, contrast search, cache) and
                    // waits in the engine, where jobs waiting together share one pass
                    int threads = Math.max(1, config.batchSize());
                    executor = new ThreadPoolExecutor(
                            threads,
                            threads,
                            0,
                            TimeUnit.MILLISECONDS,
                            new java.util.concurrent.LinkedBlockingQueue<>(),
                            r -> {
                                Thread t = new Thread(r, "faultline-attribution");
                                t.setDaemon(true);
                                return t;
                            });
                }
            }
        }
        return executor;
    }

    @Incoming(Channels.ATTRIBUTION_JOBS_IN)
    public CompletionStage<Void> onJob(Message<String> record) {
        AttributionJob job;
        try {
            job = json.readValue(record.getPayload(), AttributionJob.class);
        } catch (Exception e) {
            // not a job (nothing to attribute and no event id to answer): log, skip, commit
            LOG.errorf("unreadable attribution job skipped: %s", e.getMessage());
            return record.ack();
        }
        if (publisher.publishedHere(job.event().eventId())) {
            // a re-delivered job whose result this process published (known even while Redis is down)
            return record.ack();
        }
        // The returned stage completes once the job has a slot in the bounded queue, so SmallRye delivers the next
        // record while this one waits or runs (publishing result N overlaps computing N+1); the record itself is
        // acknowledged (offset committable) only after its result is published and cached.
        return admit().thenRun(() -> {
            liveJobs.started();
            attribute(job, Origin.of(record)).handle((v, err) -> err).thenCompose(err -> {
                liveJobs.finished();
                release();
                if (err == null) {
                    return record.ack();
                }
                LOG.errorf(
                        err,
                        "result of job %s not published; the record is nacked",
                        job.event().eventId());
                return record.nack(err);
            });
        });
    }

    /**
     * Runs one job to its end: the event's claim ({@link JobClaims}), the attribution on the engine's thread, the
     * result on the broker, then in Redis. The stage completes once the result is linked in Redis (or there was
     * nothing to publish); only then may the job's offset be committed.
     */
    public CompletionStage<Void> attribute(AttributionJob job) {
        return attribute(job, null);
    }

    /**
     * The job's record, for the jobs DLQ: key, value, and where it was read. Null origin (a job handed over directly):
     * the DLQ gets the job as JSON with no position.
     */
    public record Origin(String key, String value, String topic, int partition, long offset) {

        static Origin of(Message<String> record) {
            var meta = record.getMetadata(io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata.class)
                    .orElse(null);
            if (meta == null) {
                return new Origin(null, record.getPayload(), Topics.ATTRIBUTION_JOBS, -1, -1);
            }
            return new Origin(
                    meta.getKey() == null ? null : meta.getKey().toString(),
                    record.getPayload(),
                    meta.getTopic(),
                    meta.getPartition(),
                    meta.getOffset());
        }
    }

    /** {@link #attribute(AttributionJob)} for a job read from {@code origin} (null: handed over directly). */
    public CompletionStage<Void> attribute(AttributionJob job, Origin origin) {
        String eventId = job.event().eventId();
        ThreadPoolExecutor ex = executor();
        return CompletableFuture.supplyAsync(() -> claimAndRun(job), ex).thenCompose(o -> {
            if (o.outcome() == null || o.outcome().alreadyPublished()) {
                claims.release(eventId, o.claim());
                return CompletableFuture.<Void>completedFuture(null);
            }
            if (o.onTopic()) {
                // a dead predecessor's result reached the topic: link it, publish nothing
                return CompletableFuture.runAsync(
                        () -> {
                            store(o.outcome());
                            claims.published(eventId);
                            attempts.finished(eventId);
                            claims.release(eventId, o.claim());
                        },
                        cacheWriter);
            }
            // a job given up on goes to the jobs DLQ before its FAILED result is published: a failure between
            // the two re-delivers the job, which then gets its one result (and a second DLQ record)
            CompletionStage<Void> dlq = o.givenUp() == null
                    ? CompletableFuture.completedFuture(null)
                    : toDlq(job, origin, o.attempt(), o.givenUp());
            return dlq.thenRun(() -> claims.publishing(eventId))
                    .thenCompose(v -> publisher.publish(o.outcome().result(), true))
                    // not on ex: there it would wait behind every admitted job, and a crash
                    // meanwhile would leave published results uncached (re-published on restart)
                    .thenRunAsync(
                            () -> {
                                if (o.givenUp() != null) {
                                    // FAILED results are not cached (a later delivery tries again), but this one is
                                    // final: linked, so a re-delivery of the job publishes nothing
                                    cache.storeDirect(o.outcome().result())
                                            .await()
                                            .indefinitely();
                                } else {
                                    store(o.outcome());
                                }
                                claims.published(eventId);
                                attempts.finished(eventId);
                                claims.release(eventId, o.claim());
                            },
                            cacheWriter)
                    .whenComplete((v, err) -> {
                        if (err != null) {
                            claims.release(eventId, o.claim());
                        }
                    });
        });
    }

    /**
     * What the engine's thread hands on: the outcome (null: nothing to do), the claim, whether it is on the topic, and
     * for a job given up on, why ({@code givenUp}, null otherwise) at which attempt.
     */
    private record Claimed(JobProcessor.Outcome outcome, String claim, boolean onTopic, long attempt, String givenUp) {

        Claimed(JobProcessor.Outcome outcome, String claim, boolean onTopic) {
            this(outcome, claim, onTopic, 0, null);
        }
    }

    private CompletionStage<Void> toDlq(AttributionJob job, Origin origin, long attempt, String reason) {
        Origin o = origin;
        if (o == null) {
            try {
                o = new Origin(null, json.writeValueAsString(job), Topics.ATTRIBUTION_JOBS, -1, -1);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        metrics.jobDeadLettered();
        return deadLetters.send(o.key(), o.value(), attempt, reason, o.topic(), o.partition(), o.offset());
    }

    private Claimed claimAndRun(AttributionJob job) {
        String eventId = job.event().eventId();
        JobClaims.Decision d;
        try {
            d = claims.acquire(eventId, CLAIM_POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the claim of " + eventId, e);
        }
        if (d instanceof JobClaims.Done) {
            return new Claimed(null, null, false);
        }
        JobClaims.Owned owned = (JobClaims.Owned) d;
        try {
            if (owned.publishingSince() != null) {
                // back off a little: the broker's timestamp of a result sent just after the mark may precede it
                var found = topic.findSince(eventId, owned.publishingSince() - 60_000);
                if (found.isPresent()) {
                    LOG.infof(
                            "result of %s found on the topic after its worker died: linked, not published again",
                            eventId);
                    return new Claimed(
                            JobProcessor.Outcome.computed(found.get(), null, inputKeys.of(job.event())),
                            owned.claim(),
                            true);
                }
            }
            // counted before the attribution runs: an attempt that takes the JVM down is still counted
            long attempt = attempts.start(eventId);
            if (attempt > config.maxAttempts()) {
                String reason = String.format(
                        java.util.Locale.ROOT,
                        "attribution attempt %d after %d that did not finish (worker crashed or was killed); "
                                + "faultline.attribution.max-attempts is %d",
                        attempt,
                        attempt - 1,
                        config.maxAttempts());
                LOG.errorf("job %s given up: %s", eventId, reason);
                ResultBuilder b = new ResultBuilder(job.event(), job.verdict(), AttributionStatus.FAILED, reason);
                return new Claimed(
                        JobProcessor.Outcome.computed(b.build(), null, null), owned.claim(), false, attempt, reason);
            }
            if (config.haltOnEvent().filter(eventId::equals).isPresent()) {
                LOG.errorf("fault injection: halting the JVM at attempt %d on %s", attempt, eventId);
                Runtime.getRuntime().halt(137);
            }
            return new Claimed(run(job), owned.claim(), false);
        } catch (RuntimeException e) {
            claims.release(eventId, owned.claim());
            throw e;
        }
    }

    private int admitted;
    private final java.util.ArrayDeque<CompletableFuture<Void>> waiting = new java.util.ArrayDeque<>();

    /** A slot among {@code queue-capacity} jobs admitted (running or queued); completes when one is free. */
    private synchronized CompletableFuture<Void> admit() {
        if (admitted < Math.max(1, config.queueCapacity())) {
            admitted++;
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiting.add(f);
        return f;
    }

    private void release() {
        CompletableFuture<Void> next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                admitted--;
                return;
            }
        }
        next.complete(null); // the slot passes to the next waiting job
    }

    private JobProcessor.Outcome run(AttributionJob job) {
        try {
            return processor.process(job);
        } catch (RuntimeException | LinkageError e) {
            LOG.errorf(e, "attribution of %s failed", job.event().eventId());
            ResultBuilder b = new ResultBuilder(
                    job.event(),
                    job.verdict(),
                    AttributionStatus.FAILED,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
            return JobProcessor.Outcome.computed(b.build(), null, null);
        }
    }

    private void store(JobProcessor.Outcome o) {
        if (o.storedAt() != null) {
            cache.link(o.result().eventId(), o.inputKey(), o.storedAt());
        } else {
            cache.put(o.contentKey(), o.inputKey(), o.result());
        }
    }

    @PreDestroy
    void stop() {
        if (executor != null) {
            executor.shutdown();
        }
        cacheWriter.shutdown();
    }
}
