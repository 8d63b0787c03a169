package dev.faultline.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.faultline.api.ui.UiResults;
import dev.faultline.contract.AttributionResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Time and Redis round trips of the fleet index writer ({@link RunIndex#add}: run index, checkpoint index and the
 * compare read model) for {@code -Dbench.n} results (default 2,000: 3 models × 2 revisions, 20 runs), in one thread as
 * the writer runs, against a real embedded Redis through {@link IndexWriter.Proxy}, with no added delay and with
 * {@code -Dbench.delay-us} (default 500) added to each round trip; median of {@code -Dbench.runs} (default 5) after
 * one warm-up. Not a test: runs only with {@code -Dbench=true} (bench/RESULTS.md).
 */
class IndexRoundTripsBench {

    @Test
    void measure() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        int n = Integer.getInteger("bench.n", 2000);
        int runs = Integer.getInteger("bench.runs", 5);
        List<AttributionResult> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            results.add(UiResults.attributed(
                    "bench/" + i, "run-" + (i % 20), "model-" + (i % 3), "step" + (i % 2), (long) (i % 2)));
        }
        StringBuilder report = new StringBuilder();
        report.append("| added delay per round trip | results | round trips per result | indexing time, median of ")
                .append(runs)
                .append(" | per result |\n|---:|---:|---:|---:|---:|\n");
        for (long delay : new long[] {0, Long.getLong("bench.delay-us", 500)}) {
            try (IndexWriter w = new IndexWriter(delay, 100_000)) {
                List<Long> millis = new ArrayList<>();
                long trips = 0;
                for (int run = 0; run <= runs; run++) {
                    w.redis.flushall();
                    long before = w.proxy.roundTrips();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < results.size(); i++) {
                        w.runs.add(results.get(i), 0, i);
                    }
                    long elapsed = (System.nanoTime() - t0) / 1_000_000;
                    trips = w.proxy.roundTrips() - before;
                    if (run > 0) {
                        millis.add(elapsed);
                    }
                }
                millis.sort(null);
                long median = millis.get(millis.size() / 2);
                report.append(String.format(
                        "| %d µs | %,d | %.1f | %,d ms (runs: %s) | %.3f ms |%n",
                        delay, n, trips / (double) n, median, millis, median / (double) n));
            }
        }
        System.out.println("IndexRoundTripsBench\n" + report);
    }
}
