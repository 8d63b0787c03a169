package dev.faultline.bench;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.faultline.channels.Topics;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.fleet.RequestsLag;
import dev.faultline.tracking.RetrackQueue;
import dev.faultline.triage.ClozeData;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * Live event → result latency with and without a re-attribution backlog (bench/RESULTS.md); not a test:
 * runs only with {@code -Dbench=true}: {@code ./mvnw -o -B test -Dtest=RetrackBacklogBench -Dbench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}. The 74 cloze failures are sent at a steady rate (content cache emptied
 * first, so every one is computed) twice with an empty re-attribution queue, then right after the queue was filled
 * (held, then released) with every tracked failure (the 3 × 74 sent before) × 4 later revisions.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class RetrackBacklogBench {

    static final int RATE = 10;

    @Inject
    RedisDataSource redis;

    @Inject
    RetrackQueue queue;

    final ResultClock clock = new ResultClock();

    @Test
    void measure() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        List<String> failures = ResultClock.failures(ClozeData.load());
        StringBuilder report = new StringBuilder();
        try (clock) {
            KafkaProducer<String, String> producer = clock.start();
            // warm-up: model load, JIT, consumer groups; these 74 failures form the tracked set
            clock.await(send(producer, failures, "-warm", 0), 300);
            awaitBacklog(0, 300);
            for (int pass = 0; pass < 2; pass++) {
                flushContentCache();
                List<String> base = send(producer, failures, "-base" + pass, RATE);
                clock.await(base, 300);
                report.append(line("no backlog (pass " + pass + ")", base, 0, 0));
                awaitBacklog(0, 300);
            }
            {
                int pass = 0;
                queue.pause(true);
                for (String rev : List.of("step0050", "step0100", "step0200", "step0380")) {
                    given().when()
                            .post("/api/models/tinystories-260k/revisions/" + rev + "/track")
                            .then()
                            .statusCode(202);
                }
                int backlog = (int) Math.max(queue.backlog(), requestsLag());
                flushContentCache();
                queue.pause(false);
                long t0 = System.nanoTime();
                List<String> live = send(producer, failures, "-load" + pass, RATE);
                clock.await(live, 300);
                int left = (int) Math.max(queue.backlog(), requestsLag());
                awaitBacklog(0, 900);
                double drain = (System.nanoTime() - t0) / 1e9;
                report.append(
                        line("backlog of " + backlog + " re-attributions (pass " + pass + ")", live, backlog, left));
                report.append(String.format("  backlog drained %.1f s after the live events started%n", drain));
            }
        }
        System.out.println("=== re-attribution backlog ===\n" + report);
        Files.writeString(Path.of("target/bench-retrack.txt"), report.toString());
    }

    void flushContentCache() {
        var keys = redis.key(String.class);
        for (String pattern :
                List.of("faultline:attr:*", "faultline:event:*", "faultline:result:*", "faultline:input:*")) {
            List<String> found = keys.keys(pattern);
            if (!found.isEmpty()) {
                keys.del(found.toArray(String[]::new));
            }
        }
    }

    /** Waits until the workers' group has at most {@code n} requests not done (its lag on attribution.requests). */
    void awaitBacklog(int n, int seconds) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (Math.max(queue.backlog(), requestsLag()) > n) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("backlog still " + requestsLag() + " after " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    /** The lag of the workers' group on attribution.requests, read now (the gauge reads it every 10 s). */
    static long requestsLag() throws Exception {
        try (Admin admin = Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers()))) {
            return RequestsLag.lag(admin, RequestsLag.GROUP, Topics.ATTRIBUTION_REQUESTS, 10_000);
        }
    }

    String line(String label, List<String> ids, int backlog, int left) {
        return clock.latencies(
                label,
                ids,
                backlog > 0 ? "; re-attributions still queued when the last live result came: " + left : "");
    }

    /** Sends the cloze events under this benchmark's own run (one per suffix) and benchmark name. */
    List<String> send(KafkaProducer<String, String> producer, List<String> lines, String suffix, int perSecond)
            throws Exception {
        return clock.send(producer, lines, suffix, perSecond, n -> {
            n.put("run_id", "retrack-bench" + suffix);
            n.put("benchmark", "retrack-bench");
            return n;
        });
    }
}
