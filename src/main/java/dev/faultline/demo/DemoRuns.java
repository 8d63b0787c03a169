package dev.faultline.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.GreedyDecoder;
import dev.faultline.engine.LanguageModel;
import dev.faultline.pipeline.EventPublisher;
import dev.faultline.pipeline.ModelRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Demo runs: the demo model (from the model registry) answers held-out problems of {@link AdditionSuite} greedily
 * through the engine, a few at a time, and each answer is published to {@code eval.outputs} as a v1 event at a steady
 * rate, so it flows through the real pipeline. Runs execute one after another on their own thread; the startup hook
 * starts one when {@code faultline.demo.enabled}, {@code POST /api/demo/runs} starts one on demand. At most
 * {@code faultline.demo.max-runs} are queued or running at once ({@link Full} beyond), with count and rate capped;
 * a queued or running run can be cancelled.
 */
@ApplicationScoped
public class DemoRuns {

    private static final Logger LOG = Logger.getLogger(DemoRuns.class);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);
    private static final int MAX_NEW_TOKENS = 8;

    /** A demo run and how far it got. */
    public record DemoRun(
            @JsonProperty("run_id") String runId,
            String model,
            String revision,
            int count,
            double rate,
            long seed,
            int published,
            int incorrect,
            String state,
            String error) {}

    /** The demo quota is full: {@code retryAfterSeconds} estimates when the running run ends. */
    public static final class Full extends RuntimeException {
        private final int retryAfterSeconds;

        Full(String message, int retryAfterSeconds) {
            super(message, null, false, false);
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public int retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    private static final class Progress {
        final String runId;
        final int count;
        final double rate;
        final long seed;
        final AtomicInteger published = new AtomicInteger();
        final AtomicInteger incorrect = new AtomicInteger();
        volatile String state = "queued";
        volatile String error;
        volatile boolean cancelled;
        /** Counted down by a cancel: wakes the run from its wait between events. */
        final CountDownLatch stop = new CountDownLatch(1);

        Progress(String runId, int count, double rate, long seed) {
            this.runId = runId;
            this.count = count;
            this.rate = rate;
            this.seed = seed;
        }
    }

    @Inject
    DemoConfig config;

    @Inject
    dev.faultline.embedded.EmbeddedConfig embedded;

    @Inject
    ModelRegistry registry;

    @Inject
    AttributionEngine engine;

    @Inject
    EventPublisher publisher;

    @Inject
    ObjectMapper json;

    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "faultline-demo");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Progress> runs = new ConcurrentHashMap<>();
    /** Known cause of each published wrong answer, by event id (for the console). */
    private final Map<String, AdditionProblem.DigitCause> causes = new ConcurrentHashMap<>();

    private final AtomicInteger started = new AtomicInteger();
    private volatile boolean stopping;

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            LOG.debugf("demo run off (faultline.demo.enabled=false; embedded Kafka: %s)", embedded.kafka());
        } else {
            LOG.infof(
                    "Demo run: %s answers %d held-out addition problems, %.1f events/s to eval.outputs"
                            + " (faultline.demo.enabled=false turns it off)",
                    config.model(), config.count(), config.rate());
            start(config.count(), config.rate(), config.seed(), config.loop());
        }
    }

    /** Whether {@code /api/demo/runs} exists: set explicitly, else in the default local run or with the demo on. */
    public boolean endpointsOn() {
        return endpointsOn(config.endpoints(), embedded.kafka(), config.enabled());
    }

    /** The rule of {@link #endpointsOn()}: the explicit setting, else the embedded broker or the demo on. */
    public static boolean endpointsOn(Optional<Boolean> endpoints, boolean embeddedKafka, boolean demoOn) {
        return endpoints.orElse(embeddedKafka || demoOn);
    }

    /**
     * Queues a demo run of {@code count} events at {@code rate} events/s on the seed's held-out problems.
     *
     * @throws IllegalArgumentException when count or rate is out of range
     * @throws Full when {@code faultline.demo.max-runs} runs are already queued or running
     */
    public DemoRun start(int count, double rate, long seed, boolean loop) {
        if (count < 1 || count > config.maxCount()) {
            throw new IllegalArgumentException("count must be in 1.." + config.maxCount() + ", got " + count);
        }
        if (!(rate > 0) || rate > config.maxRate()) {
            throw new IllegalArgumentException(
                    "rate must be > 0 and <= " + config.maxRate() + " events/s, got " + rate);
        }
        synchronized (runs) {
            List<Progress> active =
                    runs.values().stream().filter(DemoRuns::active).toList();
            if (active.size() >= config.maxRuns()) {
                throw new Full(
                        active.size() + " demo runs are queued or running (faultline.demo.max-runs=" + config.maxRuns()
                                + "): wait for one to end or cancel one (DELETE /api/demo/runs/{run_id})",
                        secondsToFreeSlot(active));
            }
            return submit(count, rate, seed, loop);
        }
    }

    private DemoRun submit(int count, double rate, long seed, boolean loop) {
        String runId = config.model() + "/" + config.revision() + "/addition-" + STAMP.format(Instant.now())
                + (started.incrementAndGet() > 1 ? "-" + started.get() : "");
        Progress p = new Progress(runId, count, rate, seed);
        runs.put(runId, p);
        try {
            executor.submit(() -> {
                run(p);
                if (loop && !stopping && !p.cancelled && p.error == null) {
                    submit(count, rate, seed + 1, true);
                }
            });
        } catch (RejectedExecutionException e) {
            runs.remove(runId);
            throw new IllegalStateException("the demo producer is shut down");
        }
        return view(p);
    }

    /**
     * Cancels a queued or running run (a running one stops before its next event); a run already cancelled is
     * answered as it is.
     *
     * @return the run, or empty when this process has no such run
     * @throws IllegalStateException when the run has already ended
     */
    public Optional<DemoRun> cancel(String runId) {
        Progress p = runs.get(runId);
        if (p == null) {
            return Optional.empty();
        }
        synchronized (runs) {
            if (!p.cancelled && !active(p)) {
                throw new IllegalStateException("demo run " + runId + " has already ended (" + p.state + ")");
            }
            p.cancelled = true;
            p.stop.countDown();
            if (p.state.equals("queued")) {
                p.state = "cancelled";
            }
        }
        return Optional.of(view(p));
    }

    private static boolean active(Progress p) {
        return !p.cancelled && (p.state.equals("queued") || p.state.equals("running"));
    }

    /** Seconds until the running run is expected to have published its last event (queued runs wait behind it). */
    private static int secondsToFreeSlot(List<Progress> active) {
        return (int) Math.min(
                3600,
                Math.max(
                        1,
                        Math.ceil(active.stream()
                                .filter(p -> p.state.equals("running"))
                                .mapToDouble(p -> (p.count - p.published.get()) / p.rate)
                                .min()
                                .orElse(5))));
    }

    /** Every demo run of this process, oldest first. */
    public List<DemoRun> runs() {
        return runs.values().stream()
                .map(DemoRuns::view)
                .sorted(java.util.Comparator.comparing(DemoRun::runId))
                .toList();
    }

    /** The known cause of a wrong answer this process published, or null. */
    public AdditionProblem.DigitCause cause(String eventId) {
        return causes.get(eventId);
    }

    private static DemoRun view(Progress p) {
        String[] parts = p.runId.split("/");
        String state = p.cancelled && p.state.equals("running") ? "cancelling" : p.state;
        return new DemoRun(
                p.runId,
                parts[0],
                parts[1],
                p.count,
                p.rate,
                p.seed,
                p.published.get(),
                p.incorrect.get(),
                state,
                p.error);
    }

    private void run(Progress p) {
        synchronized (runs) {
            if (p.cancelled) {
                return;
            }
            p.state = "running";
        }
        try {
            List<AdditionProblem> problems =
                    new AdditionSuite(2, 6).sample(p.seed, p.count, AdditionSuite.Split.HELD_OUT);
            EvalOutput.ModelRef ref = new EvalOutput.ModelRef(config.model(), config.revision(), null);
            long periodNanos = (long) (1e9 / p.rate);
            long next = System.nanoTime();
            int batch = Math.max(1, config.batch());
            for (int from = 0; from < problems.size() && !stopping && !p.cancelled; from += batch) {
                List<AdditionProblem> chunk = problems.subList(from, Math.min(problems.size(), from + batch));
                Map<AdditionProblem, String> answers = new LinkedHashMap<>();
                // leased for the chunk's answers only: a model evicted meanwhile stays open for them, and is not
                // held past the registry's budget while the answers are published at the run's rate
                try (ModelRegistry.Lease lease = registry.lease(config.model(), config.revision())) {
                    for (AdditionProblem problem : chunk) {
                        answers.put(problem, answer(lease.model(), problem.prompt()));
                    }
                }
                for (Map.Entry<AdditionProblem, String> e : answers.entrySet()) {
                    if (p.cancelled) {
                        break;
                    }
                    long wait = next - System.nanoTime();
                    if (wait > 0 && p.stop.await(wait, TimeUnit.NANOSECONDS)) {
                        break; // cancelled
                    }
                    next = Math.max(next + periodNanos, System.nanoTime() - periodNanos);
                    EvalOutput event = AdditionSuite.toEvent(e.getKey(), e.getValue(), p.runId, ref, Instant.now());
                    int wrongAt = e.getKey().firstErrorPosition(e.getValue());
                    if (wrongAt >= 0) {
                        causes.put(event.eventId(), e.getKey().cause(wrongAt));
                        p.incorrect.incrementAndGet();
                    }
                    publisher
                            .publish(p.runId, json.writeValueAsBytes(event))
                            .await()
                            .atMost(java.time.Duration.ofSeconds(60));
                    p.published.incrementAndGet();
                }
            }
            p.state = stopping ? "stopped" : p.cancelled ? "cancelled" : "done";
            LOG.infof(
                    "Demo run %s: published %d events (%d wrong answers)",
                    p.runId, p.published.get(), p.incorrect.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.state = "stopped";
        } catch (Exception e) {
            if (stopping) { // the service is shutting down (the model may already be closed)
                p.state = "stopped";
                return;
            }
            p.state = "failed";
            p.error = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.errorf("Demo run %s failed after %d events: %s", p.runId, p.published.get(), p.error);
        }
    }

    /** Greedy answer of the model to {@code prompt}: BOS + prompt, tokens until a special one (EOS) (at most 8 tokens). */
    String answer(LanguageModel model, String prompt) throws InterruptedException {
        return GreedyDecoder.continuation(model.tokenizer(), prompt, MAX_NEW_TOKENS, ids -> logitsAt(model, ids));
    }

    /** One forward through the engine, waiting while its queue is full of attribution passes. */
    private double[] logitsAt(LanguageModel model, int[] ids) throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                return engine.logitsAt(model, ids, -1);
            } catch (RejectedExecutionException e) {
                if (stopping || attempt > 600) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    @PreDestroy
    void stop() {
        stopping = true;
        executor.shutdownNow();
    }
}
