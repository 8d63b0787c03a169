package dev.faultline.pipeline;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.demo.AdditionProblem;
import dev.faultline.demo.AdditionSuite;
import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults on the real pipeline (this process's triage and worker, the embedded broker, the embedded Redis server in its
 * own process): costly user patterns behind which other events keep flowing, and a Redis server stopped and started
 * again while events flow. Each test prints one {@code FAULTS ...} line with its figures.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class FaultSuiteTest {

    @Inject
    ObjectMapper json;

    static KafkaProducer<String, String> producer;

    @BeforeAll
    static void connect() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    @AfterAll
    static void close() {
        producer.close();
    }

    static String regexEvent(String id, String run, String pattern, String output) {
        return """
                {"schema": "faultline.eval-output/v1", "event_id": "%s", "run_id": "%s",
                 "model": {"name": "no-such-model", "revision": "main"}, "benchmark": "faults",
                 "prompt": "Say it:", "output": "%s", "references": ["x"],
                 "scoring": {"method": "regex", "pattern": "%s"}}
                """.formatted(id, run, output, pattern.replace("\\", "\\\\"));
    }

    static String correctEvent(String id, String run) {
        return """
                {"schema": "faultline.eval-output/v1", "event_id": "%s", "run_id": "%s",
                 "model": {"name": "no-such-model", "revision": "main"}, "benchmark": "faults",
                 "prompt": "Q: 6*12? A:", "output": "72", "references": ["72"], "scoring": {"method": "exact"}}
                """.formatted(id, run);
    }

    /** Sends one record and returns its broker timestamp (CreateTime, this machine's clock). */
    static long send(String run, String value) throws Exception {
        return producer.send(new ProducerRecord<>(Topics.EVAL_OUTPUTS, run, value))
                .get()
                .timestamp();
    }

    /** Result records of {@code run}'s events once all {@code ids} have one, by event id. */
    static Map<String, List<ConsumerRecord<String, String>>> results(List<String> ids, Duration timeout) {
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntilEach(ids, timeout);
            topic.readToEnd(Duration.ofSeconds(10));
            return topic.recordsOf(ids);
        }
    }

    @Test
    void costlyPatternsLeaveTheEventsBehindThemAndHealthOnTime() throws Exception {
        String run = "faults/patterns-" + System.nanoTime();
        // the ReDoS pattern of a backtracking matcher, then events behind it
        List<String> behind = new ArrayList<>();
        Map<String, Long> sentAt = new HashMap<>();
        // control: the same events with nothing in front of them, for the pipeline's own latency on this machine
        List<String> control = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = run + "/control-" + i;
            control.add(id);
            sentAt.put(id, send(run, correctEvent(id, run)));
            Thread.sleep(20);
        }
        String redos = run + "/redos";
        send(run, regexEvent(redos, run, "^(.*x){12}$", "x".repeat(40) + "y"));
        for (int i = 0; i < 20; i++) {
            String id = run + "/behind-" + i;
            behind.add(id);
            sentAt.put(id, send(run, correctEvent(id, run)));
            Thread.sleep(20);
        }
        // costly but linear: a long NFA state set over a 200 KB output, stopped by the pattern budget
        List<String> costly = new ArrayList<>();
        String slowPattern = "(.*a){40}z";
        String slowOutput = "ab".repeat(100_000);
        AtomicBoolean polling = new AtomicBoolean(true);
        List<Long> healthMillis = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> health = CompletableFuture.runAsync(() -> {
            while (polling.get()) {
                long t0 = System.nanoTime();
                given().when().get("/q/health/live").then().statusCode(200);
                healthMillis.add((System.nanoTime() - t0) / 1_000_000);
            }
        });
        long burst0 = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            String id = run + "/costly-" + i;
            costly.add(id);
            send(run, regexEvent(id, run, slowPattern, slowOutput));
        }
        List<String> after = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String id = run + "/after-" + i;
            after.add(id);
            sentAt.put(id, send(run, correctEvent(id, run)));
        }
        List<String> all = new ArrayList<>(control);
        all.addAll(behind);
        all.add(redos);
        all.addAll(costly);
        all.addAll(after);
        Map<String, List<ConsumerRecord<String, String>>> byEvent = results(all, Duration.ofMinutes(2));
        long burstMillis = (System.nanoTime() - burst0) / 1_000_000;
        polling.set(false);
        health.get();

        assertThat(byEvent).hasSize(all.size());
        byEvent.forEach((id, rs) -> assertThat(rs).as(id).hasSize(1));
        for (String id : costly) {
            AttributionResult r = json.readValue(byEvent.get(id).get(0).value(), AttributionResult.class);
            assertThat(r.status()).as(id).isEqualTo(AttributionStatus.UNSCORABLE);
            assertThat(r.reason()).as(id).contains("time budget");
        }
        List<Long> controlMillis = control.stream()
                .map(id -> byEvent.get(id).get(0).timestamp() - sentAt.get(id))
                .sorted()
                .toList();
        List<Long> behindMillis = behind.stream()
                .map(id -> byEvent.get(id).get(0).timestamp() - sentAt.get(id))
                .sorted()
                .toList();
        List<Long> afterMillis = after.stream()
                .map(id -> byEvent.get(id).get(0).timestamp() - sentAt.get(id))
                .sorted()
                .toList();
        long healthMax = healthMillis.stream().mapToLong(Long::longValue).max().orElse(0);
        System.out.printf(
                "FAULTS patterns: triage ms (record to result) control p50=%d max=%d; behind the ReDoS event "
                        + "p50=%d max=%d; after 10 costly events p50=%d max=%d; burst %d ms; /q/health/live answers=%d max=%d ms%n",
                controlMillis.get(controlMillis.size() / 2),
                controlMillis.get(controlMillis.size() - 1),
                behindMillis.get(behindMillis.size() / 2),
                behindMillis.get(behindMillis.size() - 1),
                afterMillis.get(afterMillis.size() / 2),
                afterMillis.get(afterMillis.size() - 1),
                burstMillis,
                healthMillis.size(),
                healthMax);
        // the ReDoS pattern costs nothing in linear time: it adds less than 100 ms to the events behind it
        assertThat(behindMillis.get(behindMillis.size() / 2) - controlMillis.get(controlMillis.size() / 2))
                .isLessThan(100);
        // generous bounds on a shared CI machine: a held event loop would stall these for the whole burst
        assertThat(behindMillis.get(behindMillis.size() - 1)).isLessThan(2_000);
        assertThat(healthMax).isLessThan(2_000);
    }

    /** {@code n} wrong answers of distinct addition problems for the bundled faultline-demo model. */
    static List<EvalOutput> additions(String run, int n, long seed) {
        Random random = new Random(seed);
        List<EvalOutput> out = new ArrayList<>();
        while (out.size() < n) {
            AdditionProblem p = new AdditionProblem(
                    Integer.toString(100 + random.nextInt(899_900)), Integer.toString(10 + random.nextInt(89_990)));
            String answer = p.answer();
            int at = random.nextInt(answer.length());
            char wrong = (char) ('0' + (answer.charAt(at) - '0' + 1 + random.nextInt(8)) % 10);
            EvalOutput e = AdditionSuite.toEvent(
                    p,
                    answer.substring(0, at) + wrong + answer.substring(at + 1),
                    run,
                    new EvalOutput.ModelRef("faultline-demo", "main", null),
                    Instant.parse("2026-11-24T00:00:00Z"));
            out.add(new EvalOutput(
                    e.schema(),
                    run + "/" + seed + "-" + out.size(),
                    e.runId(),
                    e.model(),
                    e.benchmark(),
                    e.exampleId(),
                    e.prompt(),
                    e.output(),
                    e.references(),
                    e.scoring(),
                    e.correct(),
                    e.segments(),
                    e.error(),
                    e.producedAt()));
        }
        return out;
    }

    @Test
    void redisStoppedAndStartedMidRunGivesEveryEventOneResult() throws Exception {
        String run = "faults/redis-" + System.nanoTime();
        List<String> lines = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (EvalOutput e : additions(run, 30, 7)) {
            lines.add(json.writeValueAsString(e));
            ids.add(e.eventId());
        }
        for (int i = 0; i < 30; i++) {
            String id = run + "/correct-" + i;
            lines.add(correctEvent(id, run));
            ids.add(id);
        }
        Collections.shuffle(lines, new Random(3));
        int n = lines.size();
        long downAt = 0;
        long upAt = 0;
        boolean sawDegraded = false;
        try {
            for (int i = 0; i < n; i++) {
                send(run, lines.get(i));
                Thread.sleep(50);
                if (i == n / 3) {
                    LocalServicesResource.stopRedis();
                    downAt = System.nanoTime();
                }
                if (i == n / 2) {
                    // degraded, not unready, while it is down
                    given().when()
                            .get("/q/health/ready")
                            .then()
                            .statusCode(200)
                            .body("checks.find { it.name == 'faultline-redis' }.data.degraded", equalTo(true));
                    given().when()
                            .get("/q/health/group/dependencies")
                            .then()
                            .statusCode(503)
                            .body("checks.find { it.name == 'faultline-result-cache' }.status", equalTo("DOWN"));
                    sawDegraded = true;
                }
                if (i == 2 * n / 3) {
                    LocalServicesResource.startRedis();
                    upAt = System.nanoTime();
                }
            }
        } finally {
            if (downAt != 0 && upAt == 0) {
                LocalServicesResource.startRedis();
                upAt = System.nanoTime();
            }
        }
        Map<String, List<ConsumerRecord<String, String>>> byEvent = results(ids, Duration.ofMinutes(3));
        long upNanos = upAt;
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> given().when().get("/q/health/group/dependencies").statusCode() == 200);
        long recoveredMillis = (System.nanoTime() - upNanos) / 1_000_000;
        long duplicates =
                byEvent.values().stream().mapToLong(rs -> rs.size() - 1).sum();
        Map<AttributionStatus, Long> statuses = new java.util.TreeMap<>();
        for (List<ConsumerRecord<String, String>> rs : byEvent.values()) {
            statuses.merge(
                    json.readValue(rs.get(0).value(), AttributionResult.class).status(), 1L, Long::sum);
        }
        System.out.printf(
                "FAULTS redis: sent=%d events with results=%d duplicates=%d statuses=%s; Redis down %d ms; "
                        + "cache check UP again %d ms after the restart (measured after the last result)%n",
                n, byEvent.size(), duplicates, statuses, (upAt - downAt) / 1_000_000, recoveredMillis);
        assertThat(sawDegraded).isTrue();
        assertThat(byEvent).hasSize(n);
        byEvent.forEach((id, rs) -> assertThat(rs).as(id).hasSize(1));
        assertThat(statuses).containsEntry(AttributionStatus.CORRECT, 30L);
        given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'faultline-redis' }.data.degraded", equalTo(false));
    }
}
