package dev.faultline.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.fleet.ServiceProcesses.Published;
import dev.faultline.fleet.ServiceProcesses.Service;
import dev.faultline.pipeline.JobKeys;
import dev.faultline.testing.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three worker processes and one triage process of the packaged jar on a real broker and Redis (started by this JVM),
 * each worker with one engine thread of its own. One run of 240 failures of the bundled demo model spreads over the
 * three (each publishes at least 20 % of the results, counted by its own {@code faultline_attributions_total}) with
 * exactly one result per event; then a worker is killed with SIGKILL in the middle of a second run: still exactly one
 * result per event, and the survivors publish the results of the dead worker's partitions. Runs after
 * {@code package} (failsafe).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeparateWorkersIT {

    static final int PARTITIONS = 6;
    static final String JOBS = "attribution.jobs";

    static ServiceProcesses fleet;
    static final List<Service> workers = new ArrayList<>();
    static Service triage;

    @BeforeAll
    static void start() throws Exception {
        assertThat(ServiceProcesses.JAR).as("run after `package`").exists();
        fleet = ServiceProcesses.start(PARTITIONS);
        // small JVMs, quick to start on a small machine
        List<String> jvm = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k");
        for (int i = 1; i <= 3; i++) {
            workers.add(fleet.launch(
                    "worker-" + i,
                    ServiceProcesses.JAR,
                    jvm,
                    ServiceProcesses.workerSettings("worker-" + i, PARTITIONS)));
        }
        triage = fleet.launch("triage", ServiceProcesses.JAR, jvm, ServiceProcesses.demoSettings("triage", PARTITIONS));
        List<Service> all = new ArrayList<>(workers);
        all.add(triage);
        fleet.awaitReady(all, Duration.ofMinutes(3));
        awaitGroup(3);
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    /** Waits until {@code members} workers share all partitions of the jobs topic. */
    static void awaitGroup(int members) {
        fleet.awaitGroup(ServiceProcesses.WORKER_GROUP, JOBS, members, PARTITIONS, Duration.ofSeconds(90));
    }

    static Map<String, List<Published>> results(String runId, Set<String> ids, Duration timeout) throws Exception {
        return fleet.results(runId, ids, timeout);
    }

    static void assertOneResultEach(Map<String, List<Published>> byEvent, Set<String> ids) {
        assertThat(byEvent.keySet()).as("events with a result").containsExactlyInAnyOrderElementsOf(ids);
        assertThat(byEvent.entrySet())
                .allSatisfy(e -> assertThat(e.getValue()).as(e.getKey()).hasSize(1));
    }

    static Set<String> ids(List<EvalOutput> events) {
        return events.stream().map(EvalOutput::eventId).collect(Collectors.toSet());
    }

    @Test
    @Order(1)
    void oneRunSpreadsOverThreeWorkerProcessesWithOneResultPerEvent() throws Exception {
        List<EvalOutput> events = ServiceProcesses.failures("processes/run-1", 240, 1);
        Set<String> ids = ids(events);
        Map<Service, Double> before = new LinkedHashMap<>();
        workers.forEach(w -> before.put(w, fleet.published(w)));
        fleet.publish(events, 0);
        Map<String, List<Published>> byEvent = results("processes/run-1", ids, Duration.ofMinutes(2));
        assertOneResultEach(byEvent, ids);
        assertThat(byEvent.values().stream()
                        .filter(l -> l.get(0).result().status() == AttributionStatus.ATTRIBUTED)
                        .count())
                .as("attributed by the engine, not skipped")
                .isGreaterThan(ids.size() / 2);
        double total = 0;
        for (Service w : workers) {
            double mine = fleet.published(w) - before.get(w);
            System.out.printf("run-1: %s published %.0f of %d results%n", w.name(), mine, ids.size());
            total += mine;
            assertThat(mine).as("results published by %s", w.name()).isGreaterThanOrEqualTo(ids.size() * 0.2);
        }
        assertThat(total).as("every result came from a worker").isEqualTo(ids.size());
    }

    @Test
    @Order(2)
    void aWorkerKilledMidRunLeavesExactlyOneResultPerEventAndTheOthersTakeOver() throws Exception {
        List<EvalOutput> events = ServiceProcesses.failures("processes/run-2", 300, 2);
        Set<String> ids = ids(events);
        Service victim = workers.get(2);
        Set<Integer> hisPartitions =
                Set.copyOf(fleet.assignment(ServiceProcesses.WORKER_GROUP, JOBS).get("worker-3"));
        assertThat(hisPartitions).as("partitions of worker-3").isNotEmpty();
        double start = fleet.published(victim);
        // the run arrives over about 10 s; the victim dies once it has published 15 of its results
        Thread sender = new Thread(
                () -> {
                    try {
                        fleet.publish(events, 30);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                },
                "run-2-sender");
        sender.start();
        ChildJvm.await(
                () -> fleet.published(victim) - start >= 15,
                Duration.ofSeconds(60),
                () -> "worker-3 published " + (fleet.published(victim) - start));
        victim.jvm().process().destroyForcibly();
        long killedAt = System.currentTimeMillis();
        victim.jvm().process().waitFor();
        sender.join(60_000);

        Map<String, List<Published>> byEvent = results("processes/run-2", ids, Duration.ofMinutes(2));
        assertOneResultEach(byEvent, ids);
        awaitGroup(2);
        Set<String> victimsEvents = events.stream()
                .filter(e -> hisPartitions.contains(JobKeys.partition(JobKeys.of(e, PARTITIONS), PARTITIONS)))
                .map(EvalOutput::eventId)
                .collect(Collectors.toSet());
        long afterKill = victimsEvents.stream()
                .filter(id -> byEvent.get(id).get(0).timestamp() > killedAt)
                .count();
        System.out.printf(
                "run-2: worker-3 (partitions %s) killed; of its %d events, %d published after the kill%n",
                hisPartitions, victimsEvents.size(), afterKill);
        assertThat(afterKill)
                .as("results of worker-3's partitions published after it was killed (by the others)")
                .isPositive();
        Set<String> before = new HashSet<>(victimsEvents);
        before.removeIf(id -> byEvent.get(id).get(0).timestamp() > killedAt);
        assertThat(before)
                .as("worker-3 had published some of its partitions' results")
                .isNotEmpty();
    }

    @Test
    @Order(3)
    void theRequestsBacklogGaugeReadsTheWorkersGroupLagOnEveryPod() {
        // nothing was sent to attribution.requests: every pod reads lag 0 from the broker (NaN: not read)
        for (Service s : List.of(triage, workers.get(0))) {
            ChildJvm.await(
                    () -> ServiceProcesses.sum(fleet.metrics(s), "faultline_retrack_queued") == 0,
                    Duration.ofSeconds(60),
                    () -> s.name() + ": "
                            + fleet.metrics(s)
                                    .lines()
                                    .filter(l -> l.startsWith("faultline_retrack_queued"))
                                    .toList());
        }
    }
}
