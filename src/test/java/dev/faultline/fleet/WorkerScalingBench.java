package dev.faultline.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.faultline.contract.EvalOutput;
import dev.faultline.fleet.ServiceProcesses.Published;
import dev.faultline.fleet.ServiceProcesses.Service;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A run's attributions/s with 1 worker process against 2 (bench/RESULTS.md), each worker 1 libtorch intra-op thread,
 * side by side on one broker, Redis and triage process; not a test: runs only with {@code -Dbench=true}, after
 * {@code package} ({@code bench/workers-throughput.sh}). Order: 1 worker, 2 workers, 1 worker (the second stopped),
 * 2 workers (a third started), each after a warm-up run on the new group. A run of N failures of the demo model is
 * sent at once; its rate is (N - 1) / (last result - first result), the results' record timestamps.
 * {@code -Dbench.n}: N (default 600).
 */
class WorkerScalingBench {

    static final int PARTITIONS = 6;
    static final String JOBS = "attribution.jobs";

    ServiceProcesses fleet;
    final List<String> report = new ArrayList<>();

    @Test
    void measure() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true after `package`");
        assertThat(ServiceProcesses.JAR).as("run after `package`").exists();
        int n = Integer.getInteger("bench.n", 600);
        List<String> jvm = List.of("-Xmx512m");
        try (ServiceProcesses f = ServiceProcesses.start(PARTITIONS)) {
            fleet = f;
            Service triage =
                    f.launch("triage", ServiceProcesses.JAR, jvm, ServiceProcesses.demoSettings("triage", PARTITIONS));
            Service w1 = f.launch(
                    "worker-1", ServiceProcesses.JAR, jvm, ServiceProcesses.workerSettings("worker-1", PARTITIONS));
            f.awaitReady(List.of(triage, w1), Duration.ofMinutes(4));
            group(1);
            run("warm-a", 100, List.of(w1));
            double a1 = run("one-a", n, List.of(w1));

            Service w2 = f.launch(
                    "worker-2", ServiceProcesses.JAR, jvm, ServiceProcesses.workerSettings("worker-2", PARTITIONS));
            f.awaitReady(List.of(w2), Duration.ofMinutes(4));
            group(2);
            run("warm-b", 100, List.of(w1, w2));
            double b1 = run("two-a", n, List.of(w1, w2));

            ServiceProcesses.stop(w2);
            group(1);
            double a2 = run("one-b", n, List.of(w1));

            Service w3 = f.launch(
                    "worker-3", ServiceProcesses.JAR, jvm, ServiceProcesses.workerSettings("worker-3", PARTITIONS));
            f.awaitReady(List.of(w3), Duration.ofMinutes(4));
            group(2);
            run("warm-c", 100, List.of(w1, w3));
            double b2 = run("two-b", n, List.of(w1, w3));

            report.add(String.format(
                    "1 worker: %.1f, %.1f attributions/s; 2 workers: %.1f, %.1f attributions/s; "
                            + "2 / 1 (means): %.2fx",
                    a1, a2, b1, b2, (b1 + b2) / (a1 + a2)));
        } finally {
            System.out.println("=== worker scaling (" + Runtime.getRuntime().availableProcessors() + " cores) ===\n"
                    + String.join("\n", report));
        }
    }

    void group(int members) {
        fleet.awaitGroup(ServiceProcesses.WORKER_GROUP, JOBS, members, PARTITIONS, Duration.ofMinutes(2));
    }

    /** Sends a run of {@code n} failures at once; returns its attributions/s between its first and last result. */
    double run(String name, int n, List<Service> workers) throws Exception {
        List<EvalOutput> events = ServiceProcesses.failures("bench/" + name, n, name.hashCode());
        Set<String> ids = events.stream().map(EvalOutput::eventId).collect(Collectors.toSet());
        Map<Service, Double> before = new LinkedHashMap<>();
        workers.forEach(w -> before.put(w, fleet.published(w)));
        long sent = System.currentTimeMillis();
        fleet.publish(events, 0);
        Map<String, List<Published>> byEvent = fleet.results("bench/" + name, ids, Duration.ofMinutes(10));
        assertThat(byEvent.keySet()).as("results of " + name).containsAll(ids);
        long first = byEvent.values().stream()
                .mapToLong(l -> l.get(0).timestamp())
                .min()
                .orElseThrow();
        long last = byEvent.values().stream()
                .mapToLong(l -> l.get(0).timestamp())
                .max()
                .orElseThrow();
        double rate = (n - 1) * 1000.0 / Math.max(1, last - first);
        String split = workers.stream()
                .map(w -> String.format("%s %.0f", w.name(), fleet.published(w) - before.get(w)))
                .collect(Collectors.joining(", "));
        report.add(String.format(
                "%-7s %d worker(s): %d results, first %.1f s after sending, last %.1f s: %.1f " + "attributions/s (%s)",
                name, workers.size(), n, (first - sent) / 1000.0, (last - sent) / 1000.0, rate, split));
        System.out.println(report.get(report.size() - 1));
        return rate;
    }
}
