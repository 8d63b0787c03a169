package dev.faultline.tracking;

import dev.faultline.pipeline.LiveJobs;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Low-priority re-attribution jobs in front of the engine's single worker: one thread takes them in order and starts
 * the next only when no live attribution job has been in flight on this worker for {@code faultline.tracking.live-grace}
 * ({@link LiveJobs#inFlight()} is 0), so live failures go first; a live job that arrives while one re-attribution
 * pass runs waits for that pass only (passes are not pre-empted). Duplicate (failure, revision) jobs are dropped.
 * Each accepted job has a future that completes with true once it ran, or false when it failed for good or was
 * cleared (the consumer of {@code attribution.requests} acknowledges the request then).
 */
@ApplicationScoped
public class RetrackQueue {

    /** One failure to re-attribute at one revision. */
    public record Job(TrackedFailure failure, Revision revision, int attempt) {

        public Job(TrackedFailure failure, Revision revision) {
            this(failure, revision, 1);
        }

        String key() {
            return failure.key() + "@" + revision.name();
        }
    }

    /** What runs a job (the tracker). */
    @FunctionalInterface
    public interface Runner {
        void run(Job job);
    }

    private static final Logger LOG = Logger.getLogger(RetrackQueue.class);
    private static final int MAX_ATTEMPTS = 3;

    @Inject
    TrackingConfig config;

    @Inject
    LiveJobs liveJobs;

    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Map<String, CompletableFuture<Boolean>> pending = new ConcurrentHashMap<>();
    /** The runner of each pending job (re-attributions of tracked failures, scoring on another model). */
    private final Map<String, Runner> runners = new ConcurrentHashMap<>();

    private volatile Thread thread;
    private volatile boolean paused;
    private volatile boolean running;

    /**
     * Queues a job unless the same (failure, revision) is already waiting; null when dropped, else the future of its
     * outcome (true: ran; false: failed for good or cleared).
     */
    public CompletableFuture<Boolean> submit(Job job, Runner runner) {
        if (pending.size() >= config.backlogCapacity()) {
            LOG.warnf("re-attribution backlog full (%d): %s dropped", pending.size(), job.key());
            return null;
        }
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        if (pending.putIfAbsent(job.key(), done) != null) {
            return null;
        }
        runners.put(job.key(), runner);
        queue.add(job);
        start();
        return done;
    }

    /** Jobs waiting plus the one running. */
    public int backlog() {
        return pending.size();
    }

    /** Holds back re-attribution (benchmarks build a backlog this way); jobs already running finish. */
    public void pause(boolean pause) {
        this.paused = pause;
    }

    /**
     * Holds re-attribution, drops every waiting job and waits (up to {@code timeoutMillis}) for the running one to end;
     * true when nothing runs any more. For tests and shutdown: nothing touches the engine afterwards until
     * {@link #pause(boolean) pause(false)}.
     */
    public boolean pauseAndClear(long timeoutMillis) throws InterruptedException {
        paused = true;
        queue.clear();
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (running && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        pending.values().forEach(f -> f.complete(false));
        pending.clear();
        runners.clear();
        return !running;
    }

    private synchronized void start() {
        if (thread == null) {
            thread = new Thread(this::loop, "faultline-retrack");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void loop() {
        long graceNanos = config.liveGrace().toNanos();
        while (!Thread.currentThread().isInterrupted()) {
            Job job;
            try {
                job = queue.take();
                long idleSince = -1;
                while (true) {
                    long now = System.nanoTime();
                    if (paused || liveJobs.inFlight() > 0) {
                        idleSince = -1;
                    } else if (idleSince < 0) {
                        idleSince = now;
                    }
                    if (idleSince >= 0 && now - idleSince >= graceNanos) {
                        break;
                    }
                    TimeUnit.MILLISECONDS.sleep(2);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (!pending.containsKey(job.key())) {
                continue; // cleared while it waited
            }
            Runner runner = runners.get(job.key());
            if (runner == null) {
                continue; // cleared while it waited
            }
            running = true;
            boolean ok = false;
            try {
                runner.run(job);
                ok = true;
            } catch (RuntimeException | LinkageError e) {
                if (job.attempt() < MAX_ATTEMPTS) {
                    // e.g. its model was evicted by a live job's load between acquire and pass: try again later
                    LOG.infof("re-attribution of %s failed (%s); queued again", job.key(), e.getMessage());
                    queue.add(new Job(job.failure(), job.revision(), job.attempt() + 1));
                    continue;
                }
                LOG.warnf(
                        "re-attribution of %s failed %d times, dropped: %s", job.key(), job.attempt(), e.getMessage());
            } finally {
                running = false;
            }
            runners.remove(job.key());
            CompletableFuture<Boolean> done = pending.remove(job.key());
            if (done != null) {
                done.complete(ok);
            }
        }
    }

    @PreDestroy
    void stop() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
