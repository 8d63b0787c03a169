package dev.faultline.engine;

import dev.faultline.engine.model.HfLanguageModel;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs forward and attribution passes. DJL allows one gradient collector per JVM, so passes are serialised: callers
 * from several threads queue (bounded) and run one at a time on a single worker thread.
 */
public final class AttributionEngine implements AutoCloseable {

    private final ThreadPoolExecutor worker;
    private final long maxPassBytes;
    /** Most attributions run as one batch when callers wait together ({@link #attribute}); 1 = never batch. */
    private volatile int maxBatch = 1;

    private final List<Pending> pending = new java.util.ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong passes = new java.util.concurrent.atomic.AtomicLong();

    /** An attribution waiting for a pass: batched with others of the same model and rules when they wait together. */
    private record Pending(
            HfLanguageModel model,
            AttributionRequest request,
            java.util.concurrent.CompletableFuture<Attribution> result) {}

    /** @param queueCapacity how many callers may wait; one more is refused with {@link java.util.concurrent.RejectedExecutionException} */
    public AttributionEngine(int queueCapacity) {
        this(queueCapacity, Long.MAX_VALUE);
    }

    /**
     * @param queueCapacity how many callers may wait
     * @param maxPassBytes  the most memory one attribution pass may take beyond the weights ({@link PassMemory}); a
     *                      longer input is refused with {@link InputTooLongException} naming the estimate
     */
    public AttributionEngine(int queueCapacity, long maxPassBytes) {
        if (maxPassBytes <= 0) {
            throw new IllegalArgumentException("maxPassBytes must be > 0");
        }
        this.maxPassBytes = maxPassBytes;
        if (queueCapacity < 0) {
            throw new IllegalArgumentException("queueCapacity must be >= 0");
        }
        BlockingQueue<Runnable> queue =
                queueCapacity == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queueCapacity);
        worker = new ThreadPoolExecutor(
                1,
                1,
                0,
                TimeUnit.MILLISECONDS,
                queue,
                r -> {
                    Thread t = new Thread(
                            () -> {
                                // libtorch's grad mode is per thread and on by default; DJL switches it off only on the
                                // thread that
                                // first loads the engine. Passes here enable it inside their own GradientCollector.
                                ai.djl.engine.Engine.getEngine("PyTorch");
                                ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                                r.run();
                            },
                            "faultline-attribution");
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.AbortPolicy());
    }

    /** Logits of every position for {@code ids}: [T][V], forward only (no gradients). */
    public float[][] logits(LanguageModel model, int[] ids) {
        HfLanguageModel m = HfLanguageModel.of(model);
        return call(() -> Attributor.logits(m, ids));
    }

    /** Logits at one position ({@code -1} = last) for {@code ids}: [V], forward only; cheaper than all rows. */
    public double[] logitsAt(LanguageModel model, int[] ids, int position) {
        HfLanguageModel m = HfLanguageModel.of(model);
        return call(() -> Attributor.logitsAt(m, ids, position));
    }

    /**
     * One attribution pass (forward, backward, optional faithfulness), in its own NDManager scope. With
     * {@link #batchUpTo} above 1, callers that wait at the same time for the same model, method and softmax rule
     * share one padded pass ({@link #attributeBatch}: the same results), up to that many and within the memory
     * budget: several worker threads calling this is how queued jobs become batches.
     */
    public Attribution attribute(LanguageModel model, AttributionRequest request) {
        HfLanguageModel m = HfLanguageModel.of(model);
        if (request == null) {
            throw new IllegalArgumentException("request must not be null");
        }
        checkPassMemory(m, request.ids().length);
        if (maxBatch <= 1) {
            return call(() -> {
                passes.incrementAndGet();
                return Attributor.attribute(m, request);
            });
        }
        Pending mine = new Pending(m, request, new java.util.concurrent.CompletableFuture<>());
        synchronized (pending) {
            pending.add(mine);
        }
        try {
            call(() -> {
                runPending();
                return null;
            });
        } catch (RuntimeException e) {
            synchronized (pending) {
                if (pending.remove(mine)) { // never ran: the queue refused it or the engine is closed
                    throw e;
                }
            }
        }
        try {
            return mine.result().join(); // done by this caller's task or an earlier one that batched it
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    /**
     * Lets up to {@code n} waiting attributions of one model and rules run as one batch ({@code 1}: one pass each,
     * the default).
     */
    public void batchUpTo(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + n);
        }
        maxBatch = n;
    }

    /** Attribution passes run so far (a batch counts once). */
    public long passes() {
        return passes.get();
    }

    /**
     * On the worker: takes the oldest waiting attribution and those waiting for the same model, method and softmax
     * rule (up to the batch size and the memory budget), runs them as one batch, and completes each one's result. A
     * batch that fails is retried one request at a time, so one bad request fails alone.
     */
    private void runPending() {
        List<Pending> batch = new java.util.ArrayList<>();
        synchronized (pending) {
            if (pending.isEmpty()) {
                return; // an earlier task took this caller's request into its batch
            }
            Pending first = pending.get(0);
            long bytes = 0;
            for (java.util.Iterator<Pending> it = pending.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
                Pending p = it.next();
                if (p.model() != first.model() || !sameRules(p.request(), first.request())) {
                    continue;
                }
                long need = passBytes(p.model(), p.request().ids().length);
                if (!batch.isEmpty() && bytes + need > maxPassBytes) {
                    break;
                }
                bytes += need;
                batch.add(p);
                it.remove();
            }
        }
        if (batch.size() == 1) {
            run(batch.get(0));
            return;
        }
        List<Attribution> out;
        try {
            passes.incrementAndGet();
            out = Attributor.attributeBatch(
                    batch.get(0).model(), batch.stream().map(Pending::request).toList());
        } catch (RuntimeException e) {
            batch.forEach(this::run);
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(out.get(i));
        }
    }

    private void run(Pending p) {
        try {
            passes.incrementAndGet();
            p.result().complete(Attributor.attribute(p.model(), p.request()));
        } catch (RuntimeException | Error e) {
            p.result().completeExceptionally(e);
        }
    }

    private static boolean sameRules(AttributionRequest a, AttributionRequest b) {
        return java.util.Objects.equals(
                        a.method() == null ? Method.ATTNLRP : a.method(),
                        b.method() == null ? Method.ATTNLRP : b.method())
                && java.util.Objects.equals(
                        a.softmax() == null ? SoftmaxRule.ATTNLRP : a.softmax(),
                        b.softmax() == null ? SoftmaxRule.ATTNLRP : b.softmax());
    }

    /**
     * Several attributions of one model, method and softmax rule in one padded pass (see {@code Attributor}): the
     * results equal one pass per request. The batch's estimated memory is each input's, summed; a batch over the
     * budget is refused whole ({@link InputTooLongException}), so callers group by {@link #passBytes}.
     */
    public List<Attribution> attributeBatch(LanguageModel model, List<AttributionRequest> requests) {
        HfLanguageModel m = HfLanguageModel.of(model);
        if (requests == null || requests.isEmpty()) {
            throw new IllegalArgumentException("requests must not be empty");
        }
        int longest = requests.stream().mapToInt(r -> r.ids().length).max().orElse(0);
        long need = requests.size() * passBytes(model, longest);
        if (requests.size() == 1) {
            checkPassMemory(m, longest);
        } else if (need > maxPassBytes) {
            throw new InputTooLongException(
                    String.format(
                            java.util.Locale.ROOT,
                            "a batch of %d attributions of up to %d tokens needs about %.2f GB, more than the %.2f GB allowed "
                                    + "for one pass (faultline.attribution.max-pass-bytes)",
                            requests.size(),
                            longest,
                            need / 1e9,
                            maxPassBytes / 1e9),
                    longest,
                    longest);
        }
        List<AttributionRequest> copy = List.copyOf(requests);
        return call(() -> {
            passes.incrementAndGet();
            return Attributor.attributeBatch(m, copy);
        });
    }

    /** Estimated memory of one attribution pass of {@code tokens} tokens on {@code model} ({@link PassMemory}). */
    public long passBytes(LanguageModel model, int tokens) {
        return PassMemory.attributionBytes(HfLanguageModel.of(model), tokens);
    }

    /** The most memory one pass may take beyond the weights. */
    public long maxPassBytes() {
        return maxPassBytes;
    }

    /** Refuses a pass whose estimated memory ({@link PassMemory}) exceeds this engine's budget. */
    private void checkPassMemory(HfLanguageModel m, int tokens) {
        long need = passBytes(m, tokens);
        if (need > maxPassBytes) {
            int fits = tokens;
            while (fits > 1 && passBytes(m, fits) > maxPassBytes) {
                fits = fits * 9 / 10;
            }
            throw new InputTooLongException(
                    String.format(
                            java.util.Locale.ROOT,
                            "an attribution of %d tokens on this model needs about %.2f GB for one pass (estimated from its "
                                    + "shape), more than the %.2f GB allowed (faultline.attribution.max-pass-bytes); about %d "
                                    + "tokens fit",
                            tokens,
                            need / 1e9,
                            maxPassBytes / 1e9,
                            fits),
                    tokens,
                    fits);
        }
    }

    /**
     * Runs {@code task} on the single attribution worker and waits for it: for engine extensions such as the
     * attribution graph ({@code dev.faultline.engine.graph}), which submits one short step at a time so that
     * attributions queued meanwhile run in between (the graph never holds the worker for more than one step).
     */
    public <T> T execute(Callable<T> task) {
        if (task == null) {
            throw new IllegalArgumentException("task must not be null");
        }
        return call(task);
    }

    /**
     * Closes {@code model} on the worker thread, after the passes already queued for it: the safe way to evict a
     * model that other threads may still be attributing with (closing it directly can free weights mid-pass).
     */
    public void release(LanguageModel model) {
        call(() -> {
            model.close();
            return null;
        });
    }

    /** Passes waiting for the worker (not counting the one running). */
    public int queued() {
        return worker.getQueue().size();
    }

    /** Runs {@code task} on the worker, after the passes already queued (package-private: tests, graph code). */
    <T> T call(Callable<T> task) {
        Future<T> f;
        try {
            f = worker.submit(task);
        } catch (RejectedExecutionException e) {
            throw new RejectedExecutionException(
                    worker.isShutdown()
                            ? "attribution engine is closed"
                            : "attribution queue is full (" + queued() + " waiting)",
                    e);
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the attribution worker", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        }
    }

    @Override
    public void close() {
        worker.shutdown();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
