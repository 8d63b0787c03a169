package dev.faultline.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.triage.ClozeData;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * Pipeline latency benchmark (bench/RESULTS.md); not a test: runs only with {@code -Dbench=true}:
 * {@code ./mvnw -o -B test -Dtest=PipelineLatencyBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false}.
 * Event to result latency = result record timestamp (the app's producer) - the moment the bench sent the event.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class PipelineLatencyBench {

    @Inject
    RedisDataSource redis;

    @Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    final ResultClock clock = new ResultClock();

    @Test
    void measure() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        List<String> failures = ResultClock.failures(ClozeData.load());
        StringBuilder report = new StringBuilder();
        try (clock) {
            KafkaProducer<String, String> producer = clock.start();
            // warm-up: model load, JIT, consumer groups
            List<String> warm = clock.send(producer, failures, "-warm", 0, n -> n);
            clock.await(warm, 180);
            // -Dbench.passes=0 -Dbench.saturation=false: only the cache-hit pass (after the warm-up), for quick checks
            for (int pass = 0; pass < Integer.getInteger("bench.passes", 3); pass++) {
                redis.flushall();
                Map<String, double[]> before = phases();
                List<String> ids = clock.send(producer, failures, "-steady" + pass, 20, n -> n);
                clock.await(ids, 120);
                report.append(line("steady 20/s, computed (pass " + pass + ")", ids));
                report.append(phasesSince(before));
            }
            report.append(brokerFloor(producer));
            double[] lag0 = timer("faultline.ingest.lag", null);
            double[] triage0 = timer("faultline.attribution", "triage_cache");
            List<String> hits = new ArrayList<>();
            int hitPasses = Integer.getInteger("bench.hit-passes", 3);
            for (int pass = 0; pass < hitPasses; pass++) {
                List<String> ids = clock.send(producer, failures, "-hit" + pass, 20, n -> n);
                clock.await(ids, 120);
                hits.addAll(ids);
            }
            report.append(line("steady 20/s, cache hits (same inputs, new event ids; " + hitPasses + " passes)", hits));
            double[] lag1 = timer("faultline.ingest.lag", null);
            double[] triage1 = timer("faultline.attribution", "triage_cache");
            report.append(String.format(
                    "  during the hits: mean record-timestamp-to-triage lag %.2f ms (n=%.0f), mean "
                            + "triage look-up to hit %.2f ms (n=%.0f)%n",
                    (lag1[1] - lag0[1]) / Math.max(1, lag1[0] - lag0[0]),
                    lag1[0] - lag0[0],
                    (triage1[1] - triage0[1]) / Math.max(1, triage1[0] - triage0[0]),
                    triage1[0] - triage0[0]));
            if (Boolean.parseBoolean(System.getProperty("bench.saturation", "true"))) {
                redis.flushall();
                List<String> burst = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int i = 0; i < 4; i++) {
                    if (i > 0) {
                        redis.flushall();
                    }
                    burst.addAll(clock.send(producer, failures, "-burst" + i, 0, n -> n));
                }
                clock.await(burst, 300);
                long last = burst.stream().mapToLong(clock.resultAt::get).max().orElseThrow();
                long first = burst.stream().mapToLong(clock.sentAt::get).min().orElseThrow();
                double seconds = (last - first) / 1000.0;
                long attributed = burst.stream()
                        .filter(i -> "ATTRIBUTED".equals(clock.status.get(i)))
                        .count();
                report.append(String.format(
                        "saturation: %d failures (%d attributed) in %.2f s = %.1f failures/s, %.1f attributions/s%n",
                        burst.size(), attributed, seconds, burst.size() / seconds, attributed / seconds));
            }
        }
        // mean time per phase inside the worker (Micrometer timers), over everything above
        meters.find("faultline.attribution")
                .timers()
                .forEach(t -> report.append(String.format(
                        "phase %s: n=%d mean=%.2f ms max=%.2f ms%n",
                        t.getId().getTag("phase"),
                        t.count(),
                        t.mean(java.util.concurrent.TimeUnit.MILLISECONDS),
                        t.max(java.util.concurrent.TimeUnit.MILLISECONDS))));
        System.out.println("=== pipeline latency ===\n" + report);
        Files.writeString(Path.of("target/bench-pipeline.txt"), report.toString());
    }

    /**
     * The broker's own floor on this machine: records sent at 20/s to a scratch topic and read back by a plain
     * consumer polling in a loop, send (CreateTime) to poll return; no service code in between.
     */
    String brokerFloor(KafkaProducer<String, String> producer) throws Exception {
        String topic = "bench.echo";
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "k", "warm"))
                .get();
        Properties c = new Properties();
        c.put("bootstrap.servers", LocalServicesResource.bootstrapServers());
        c.put("group.id", "bench-echo-" + System.nanoTime());
        c.put("auto.offset.reset", "latest");
        List<Long> lat = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        java.util.concurrent.CountDownLatch assigned = new java.util.concurrent.CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(
                    c,
                    new org.apache.kafka.common.serialization.StringDeserializer(),
                    new org.apache.kafka.common.serialization.StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                while (!done.get()) {
                    var records = consumer.poll(java.time.Duration.ofMillis(100));
                    long now = System.currentTimeMillis();
                    if (!consumer.assignment().isEmpty()) {
                        assigned.countDown();
                    }
                    records.forEach(r -> {
                        if (!r.value().equals("warm")) {
                            lat.add(now - r.timestamp());
                        }
                    });
                }
            }
        });
        reader.start();
        assigned.await(30, java.util.concurrent.TimeUnit.SECONDS);
        Thread.sleep(500);
        for (int i = 0; i < 222; i++) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "k", "x" + i));
            Thread.sleep(50);
        }
        Thread.sleep(500);
        done.set(true);
        reader.join();
        if (lat.isEmpty()) {
            return "broker floor: no records read back\n";
        }
        return ResultClock.percentiles("broker floor (send to a plain consumer's poll, 20/s)", lat, "");
    }

    static final List<String> PHASES =
            List.of("total", "cache", "model", "contrast", "forward", "backward", "faithfulness", "engine_wait");

    Map<String, double[]> phases() {
        Map<String, double[]> m = new java.util.LinkedHashMap<>();
        for (String ph : PHASES) {
            m.put(ph, timer("faultline.attribution", ph));
        }
        return m;
    }

    /** Mean (and count) of each worker phase since a snapshot: what the jobs of one pass cost. */
    String phasesSince(Map<String, double[]> before) {
        StringBuilder sb = new StringBuilder("  phase means in this pass:");
        phases().forEach((ph, now) -> {
            double n = now[0] - before.get(ph)[0];
            if (n > 0) {
                sb.append(String.format(" %s %.1f ms (n=%.0f);", ph, (now[1] - before.get(ph)[1]) / n, n));
            }
        });
        return sb.append('\n').toString();
    }

    /** count and total milliseconds of a timer (summed over its meters; phase tag when given). */
    double[] timer(String name, String phase) {
        var search = meters.find(name);
        if (phase != null) {
            search = search.tag("phase", phase);
        }
        double count = 0;
        double total = 0;
        for (var t : search.timers()) {
            count += t.count();
            total += t.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        return new double[] {count, total};
    }

    String line(String label, List<String> ids) {
        return clock.latencies(label, ids, "");
    }
}
