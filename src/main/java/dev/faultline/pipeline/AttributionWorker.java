package dev.faultline.pipeline;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.store.ResultCache;

/**
 * Consumes {@code attribution.jobs} (roles {@code worker} and {@code all}) and runs each job on one dedicated thread,
 * the engine's rule (DJL allows one gradient collector per JVM). A job's Kafka record is acknowledged only after its
 * result is on {@code attribution.results} (and then written to Redis), so its offset is committed only then: a
 * crash re-delivers the job, and the event-id lookup in Redis keeps the re-delivery from publishing a second result.
 * <p>
 * At most {@code faultline.attribution.queue-capacity} jobs are admitted (one running, the rest queued; gauge
 * {@code faultline_jobs_queued}); beyond that the connector stops receiving (its own bounded buffer, then paused
 * partitions). Acknowledgements may come out of order only across publish/cache latency. Commit strategy {@code throttled} with a raised
 * {@code throttled.unprocessed-record-max-age.ms} (application.properties): a long attribution must not mark the
 * consumer unhealthy, which the default 60 s would do on a large model on CPU.
 */
@ApplicationScoped
public class AttributionWorker {

    /** Incoming channel of jobs (topic {@value AttributionJobs#TOPIC}). */
    public static final String CHANNEL = "attribution-jobs";
    private static final Logger LOG = Logger.getLogger(AttributionWorker.class);

    @Inject
    JobProcessor processor;
    @Inject
    ResultPublisher publisher;
    @Inject
    ResultCache cache;
    @Inject
    PipelineMetrics metrics;
    @Inject
    ObjectMapper json;
    @Inject
    AttributionConfig config;

    private volatile ThreadPoolExecutor executor;
    private final java.util.concurrent.ExecutorService cacheWriter = java.util.concurrent.Executors
            .newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "faultline-cache-writer");
                t.setDaemon(true);
                return t;
            });

    private ThreadPoolExecutor executor() {
        if (executor == null) {
            synchronized (this) {
                if (executor == null) {
                    executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                            new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                                Thread t = new Thread(r, "faultline-attribution");
                                t.setDaemon(true);
                                return t;
                            });
                }
            }
        }
        return executor;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> onJob(Message<String> record) {
        AttributionJob job;
        try {
            job = json.readValue(record.getPayload(), AttributionJob.class);
        } catch (Exception e) {
            // not a job (nothing to attribute and no event id to answer): log, skip, commit
            LOG.errorf("unreadable attribution job skipped: %s", e.getMessage());
            return record.ack();
        }
        // The returned stage completes once the job has a slot in the bounded queue, so SmallRye delivers the next
        // record while this one waits or runs (publishing result N overlaps computing N+1); the record itself is
        // acknowledged (offset committable) only after its result is published and cached.
        return admit().thenRun(() -> {
            metrics.jobsQueued().incrementAndGet();
            ThreadPoolExecutor ex = executor();
            CompletableFuture.supplyAsync(() -> run(job), ex)
                    .thenCompose(o -> o.alreadyPublished() ? CompletableFuture.<Void>completedFuture(null)
                            : publisher.publish(o.result(), true)
                                    // not on ex: there it would wait behind every admitted job, and a crash
                                    // meanwhile would leave published results uncached (re-published on restart)
                                    .thenRunAsync(() -> store(o), cacheWriter))
                    .handle((v, err) -> err)
                    .thenCompose(err -> {
                        metrics.jobsQueued().decrementAndGet();
                        release();
                        if (err == null) {
                            return record.ack();
                        }
                        LOG.errorf(err, "result of job %s not published; the record is nacked", job.event().eventId());
                        return record.nack(err);
                    });
        });
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
            ResultBuilder b = new ResultBuilder(job.event(), job.verdict(), AttributionStatus.FAILED,
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
