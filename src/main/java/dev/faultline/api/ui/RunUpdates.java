package dev.faultline.api.ui;

import dev.faultline.contract.AttributionResult;
import dev.faultline.store.RunIndex;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live updates of the runs page: every indexed result bumps its run's version; each subscriber of {@link #since}
 * receives, at most every {@code period}, the rows of the runs changed since the last version it saw. Coalescing
 * keeps a replay of thousands of results per second from turning into thousands of messages per browser.
 */
@ApplicationScoped
public class RunUpdates implements RunIndex.Listener {

    static final Duration PERIOD = Duration.ofMillis(500);

    private final AtomicLong clock = new AtomicLong();
    private final Map<String, Long> versions = new ConcurrentHashMap<>();

    @Inject
    RunIndex index;

    private final Object lock = new Object();

    @Override
    public void indexed(AttributionResult result, RunIndex.EventSummary summary) {
        synchronized (lock) { // the version and the clock move together, so no change falls between two ticks
            versions.put(summary.runId() == null ? "" : summary.runId(), clock.incrementAndGet());
        }
    }

    /** The version a page rendered now has seen. */
    public long version() {
        return clock.get();
    }

    /** Rows of the runs changed after version {@code since}, then of every later change, until the client leaves. */
    public Multi<RunRow> since(long since) {
        return Multi.createFrom().deferred(() -> {
            AtomicLong seen = new AtomicLong(Math.max(0, Math.min(since, clock.get())));
            return Multi.createFrom()
                    .ticks()
                    .startingAfter(Duration.ofMillis(1))
                    .every(PERIOD)
                    // the rows are read from Redis (blocking): off the event loop
                    .emitOn(io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool())
                    .onItem()
                    .transformToIterable(tick -> changedSince(seen));
        });
    }

    List<RunRow> changedSince(AtomicLong seen) {
        List<String> changed = new ArrayList<>();
        synchronized (lock) {
            long from = seen.getAndSet(clock.get());
            versions.forEach((runId, v) -> {
                if (v > from) {
                    changed.add(runId);
                }
            });
        }
        List<RunRow> rows = new ArrayList<>();
        for (String runId : changed) {
            index.run(runId).map(RunRow::of).ifPresent(rows::add);
        }
        return rows;
    }
}
