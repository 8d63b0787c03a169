package dev.faultline.pipeline;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.triage.ClozeData;
import dev.faultline.triage.ScoredEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole path on the embedded broker and Redis with the real TinyStories-260K: the 100 cloze events published on
 * {@code eval.outputs} each end as exactly one result matching the reference implementation (expected.jsonl);
 * re-publishing recomputes nothing; a Redis outage loses no result.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClozePipelineTest {

    static ClozeData data;

    @Inject
    MeterRegistry meters;

    @Inject
    ScoredEventSink sink;

    @BeforeAll
    static void load() {
        data = ClozeData.load();
    }

    double counter(String name, String tag, String value) {
        return meters.find(name).tag(tag, value).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    @Test
    @Order(1)
    void everyClozeEventGetsOneResultMatchingTheReference() throws Exception {
        ClozeData.publish(data.eventLines, "");
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntil(
                    rs -> rs.stream()
                                    .filter(r -> data.events.containsKey(r.eventId()))
                                    .map(AttributionResult::eventId)
                                    .distinct()
                                    .count()
                            == 100,
                    Duration.ofMinutes(5));
            Map<String, List<AttributionResult>> byEvent = topic.results.stream()
                    .filter(r -> data.events.containsKey(r.eventId()))
                    .collect(Collectors.groupingBy(AttributionResult::eventId));
            assertThat(byEvent).hasSize(100);
            byEvent.forEach((id, rs) -> assertThat(rs).as(id).hasSize(1));
            int attributed = 0;
            for (var e : data.expected.entrySet()) {
                AttributionResult r = byEvent.get(e.getKey()).get(0);
                JsonNode exp = e.getValue();
                assertThat(r.status().name())
                        .as(e.getKey() + " " + r.reason())
                        .isEqualTo(exp.get("status").asText());
                if (exp.get("correct").asBoolean()) {
                    assertThat(r.verdict()).isEqualTo(Verdict.CORRECT);
                    continue;
                }
                assertThat(r.verdict()).isEqualTo(Verdict.INCORRECT);
                assertThat(r.retokenizationMismatch()).as(e.getKey()).isFalse();
                var t = r.target();
                assertThat(t.position())
                        .as(e.getKey())
                        .isEqualTo(exp.get("error").get("oracle_position").asInt());
                assertThat(t.wrong().id())
                        .as(e.getKey())
                        .isEqualTo(exp.get("wrong").get("id").asInt());
                assertThat(t.contrast().id())
                        .as(e.getKey())
                        .isEqualTo(exp.get("contrast").get("id").asInt());
                assertThat(t.wrong().text())
                        .as(e.getKey())
                        .isEqualTo(exp.get("wrong").get("text").asText());
                assertThat(t.logitDiff())
                        .as(e.getKey())
                        .isCloseTo(exp.get("logit_diff").asDouble(), within(1e-3));
                assertThat(t.contrastRank())
                        .as(e.getKey())
                        .isEqualTo(exp.get("contrast_rank").asInt());
                if (r.status() == AttributionStatus.ATTRIBUTED) {
                    attributed++;
                    assertRelevanceMatches(e.getKey(), r, exp);
                }
            }
            assertThat(attributed).isEqualTo(60);
        }
        // REST serves attributed results from Redis
        given().when()
                .get("/api/attributions/tinystories-cloze/3")
                .then()
                .statusCode(200)
                .header("X-Faultline-Source", "redis")
                .body("status", equalTo("ATTRIBUTED"))
                .body("target.contrast.text", equalTo(" T"));
        awaitIndexed("tinystories-260k/cloze", 100);
        given().when()
                .get("/api/runs/tinystories-260k/cloze/failures?size=100")
                .then()
                .statusCode(200)
                .body("total", equalTo(74));
        given().when()
                .get("/api/runs/tinystories-260k/cloze/failures?status=LOW_LOGIT_DIFF&size=100")
                .then()
                .statusCode(200)
                .body("total", equalTo(14));
        String metrics = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(metrics)
                .contains("faultline_attributions_total{")
                .contains("status=\"ATTRIBUTED\"")
                .contains("faultline_logit_diff")
                .contains("faultline_segment_relevance")
                .contains("faultline_jobs_queued")
                .contains("faultline_contrast_coverage")
                .contains("faultline_attribution_seconds_bucket");
    }

    static void assertRelevanceMatches(String id, AttributionResult r, JsonNode exp) {
        JsonNode rel = exp.get("input_relevance");
        JsonNode tokens = exp.get("tokens");
        assertThat(r.tokens()).as(id).hasSize(rel.size());
        double max = 0;
        for (JsonNode v : rel) {
            max = Math.max(max, Math.abs(v.asDouble()));
        }
        StringBuilder off = new StringBuilder();
        for (int i = 0; i < rel.size(); i++) {
            double d = r.tokens().get(i).relevance() - rel.get(i).asDouble();
            if (Math.abs(d) > 1e-3 * max) {
                off.append(String.format(
                        " [%d: got %.5f expected %.5f]",
                        i, r.tokens().get(i).relevance(), rel.get(i).asDouble()));
            }
        }
        assertThat(off.toString())
                .as(id + ": tokens off by more than 1e-3 of the largest |relevance| " + max + ", Δℓ "
                        + r.target().logitDiff() + ", conservation " + r.conservation())
                .isEmpty();
        for (int i = 0; i < rel.size(); i++) {
            AttributionResult.Token tok = r.tokens().get(i);
            assertThat(tok.id())
                    .as(id + " token " + i)
                    .isEqualTo(tokens.get(i).get("id").asInt());
            String seg = tokens.get(i).get("segment").asText();
            assertThat(Objects.requireNonNullElse(tok.segment(), "bos"))
                    .as(id + " token " + i)
                    .isEqualTo(seg);
            if (!tokens.get(i).get("start").isNull()) {
                assertThat(tok.start())
                        .as(id + " token " + i)
                        .isEqualTo(tokens.get(i).get("start").asInt());
                assertThat(tok.end())
                        .as(id + " token " + i)
                        .isEqualTo(tokens.get(i).get("end").asInt());
            }
        }
        assertThat(r.conservation()).isNotNull();
        assertThat(r.layers()).hasSize(exp.get("layer_input_relevance_sums").size());
        for (int l = 0; l < r.layers().size(); l++) {
            var layer = r.layers().get(l);
            assertThat(layer.positive() + layer.negative())
                    .as(id + " layer " + l)
                    .isCloseTo(
                            exp.get("layer_input_relevance_sums").get(l).asDouble(), within(1e-3 * Math.max(1, max)));
        }
        final double scale = max;
        Map<String, Double> segs = new HashMap<>();
        r.segments().forEach(s -> segs.put(s.name(), s.relevance()));
        exp.get("segment_relevance").fields().forEachRemaining(f -> {
            if (!f.getKey().equals("bos")) {
                assertThat(segs.getOrDefault(f.getKey(), 0.0))
                        .as(id + " segment " + f.getKey())
                        .isCloseTo(f.getValue().get("sum").asDouble(), within(1e-3 * Math.max(1, scale) * 10));
            }
        });
    }

    @Test
    @Order(2)
    void republishingRecomputesNothingAndAddsNoDifferentResult() throws Exception {
        double hitsBefore = counter("faultline.cache.requests", "result", "hit");
        ClozeData.publish(data.eventLines, "");
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(counter("faultline.cache.requests", "result", "hit") - hitsBefore)
                        .isGreaterThanOrEqualTo(74));
        Thread.sleep(1000); // a quiet second: a recomputation would publish a second result within it
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntil(rs -> false, Duration.ofSeconds(5));
            Map<String, List<AttributionResult>> byEvent = topic.results.stream()
                    .filter(r -> data.events.containsKey(r.eventId()))
                    .collect(Collectors.groupingBy(AttributionResult::eventId));
            byEvent.forEach((id, rs) -> {
                if (!data.expected.get(id).get("correct").asBoolean()) {
                    assertThat(rs)
                            .as(id + ": a failure's result is published once")
                            .hasSize(1);
                } else {
                    // correct events are not cached: a re-delivery repeats the same verdict result
                    assertThat(rs.stream()
                                    .map(r -> r.status() + "/" + r.verdict())
                                    .distinct())
                            .as(id)
                            .hasSize(1);
                }
            });
        }
    }

    @Test
    @Order(3)
    void seenInputsUnderNewIdsAreAnsweredInTriageWithoutAJob() throws Exception {
        long jobsBefore = jobsEnd();
        long triageBefore = timerCount("triage_cache");
        ClozeData.publish(data.eventLines, "-again"); // new event and run ids, same inputs
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntil(
                    rs -> rs.stream()
                                    .filter(r -> r.eventId().endsWith("-again"))
                                    .map(AttributionResult::eventId)
                                    .distinct()
                                    .count()
                            == 100,
                    Duration.ofMinutes(3));
            for (String id : data.expected.keySet()) {
                AttributionResult original = topic.of(id).get(0);
                assertThat(topic.of(id + "-again")).as(id).singleElement().satisfies(r -> {
                    assertThat(r.runId()).isEqualTo(original.runId() + "-again");
                    assertThat(r.status()).isEqualTo(original.status());
                    assertThat(r.target()).isEqualTo(original.target());
                    assertThat(r.tokens()).isEqualTo(original.tokens());
                    assertThat(r.segments()).isEqualTo(original.segments());
                    assertThat(r.conservation()).isEqualTo(original.conservation());
                });
            }
        }
        assertThat(jobsEnd()).as("no attribution job for an input seen before").isEqualTo(jobsBefore);
        assertThat(timerCount("triage_cache") - triageBefore).isEqualTo(74);

        // other segments over the same text: not the same input (a job), the same content (no recomputation), and
        // the result sums its own segments
        EvalOutput base = data.events.get("tinystories-cloze/3");
        List<EvalOutput.Segment> swapped = base.segments().stream()
                .map(sg -> new EvalOutput.Segment(
                        sg.name().equals("evidence")
                                ? "distractor"
                                : sg.name().equals("distractor") ? "evidence" : sg.name(),
                        sg.start(),
                        sg.end()))
                .toList();
        long attributedBefore = timerCount("backward");
        publishEvent(withSegments(base, "cloze/3-swapped", swapped));
        publishEvent(withSegments(base, "cloze/3-third", base.segments()));
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntil(
                    rs -> rs.stream()
                                    .filter(r -> r.eventId().startsWith("cloze/3-"))
                                    .count()
                            == 2,
                    Duration.ofMinutes(2));
            AttributionResult original = topic.of("tinystories-cloze/3").get(0);
            AttributionResult mine = topic.of("cloze/3-swapped").get(0);
            assertThat(mine.status()).isEqualTo(AttributionStatus.ATTRIBUTED);
            assertThat(mine.target()).isEqualTo(original.target());
            assertThat(segment(mine, "evidence").relevance())
                    .isEqualTo(segment(original, "distractor").relevance());
            assertThat(segment(mine, "distractor").relevance())
                    .isEqualTo(segment(original, "evidence").relevance());
            assertThat(segment(mine, "evidence").relevance())
                    .isNotEqualTo(segment(original, "evidence").relevance());
            // the first input's link still gives its own rendering
            assertThat(topic.of("cloze/3-third").get(0).segments()).isEqualTo(original.segments());
        }
        assertThat(jobsEnd()).as("one job: the swapped segments").isEqualTo(jobsBefore + 1);
        assertThat(timerCount("backward")).as("nothing recomputed").isEqualTo(attributedBefore);

        // the same event twice in one batch (a producer's retry): one result
        ScoredEvent twice =
                new ScoredEvent(withSegments(base, "cloze/3-twice", base.segments()), Verdict.INCORRECT, "Lily", null);
        for (var stage : sink.acceptAll(List.of(twice, twice))) {
            stage.toCompletableFuture().get();
        }
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntilEach(List.of("cloze/3-twice"), Duration.ofMinutes(1));
            topic.pollUntil(rs -> false, Duration.ofSeconds(2));
            assertThat(topic.of("cloze/3-twice")).hasSize(1);
        }
    }

    static EvalOutput withSegments(EvalOutput e, String id, List<EvalOutput.Segment> segments) {
        return new EvalOutput(
                e.schema(),
                id,
                id + "-run",
                e.model(),
                e.benchmark(),
                e.exampleId(),
                e.prompt(),
                e.output(),
                e.references(),
                e.scoring(),
                e.correct(),
                segments,
                e.error(),
                e.producedAt());
    }

    static void publishEvent(EvalOutput e) throws Exception {
        ClozeData.publish(List.of(ClozeData.JSON.writeValueAsString(e)), "");
    }

    static AttributionResult.SegmentRelevance segment(AttributionResult r, String name) {
        return r.segments().stream()
                .filter(sg -> sg.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    long timerCount(String phase) {
        return meters.find("faultline.attribution").tag("phase", phase).timers().stream()
                .mapToLong(t -> t.count())
                .sum();
    }

    /** Records ever written to attribution.jobs (sum of the partitions' end offsets). */
    static long jobsEnd() {
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", LocalServicesResource.bootstrapServers());
        try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
                p,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var parts = c.partitionsFor(Topics.ATTRIBUTION_JOBS).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition()))
                    .toList();
            return c.endOffsets(parts).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }

    @Test
    @Order(4)
    void redisOutageMidRunLosesNoResult() throws Exception {
        List<String> failures = data.eventLines.stream()
                .filter(l -> l.contains("\"tinystories-cloze/")
                        && !data.expected.get(eventId(l)).get("correct").asBoolean())
                .toList();
        List<String> first = failures.subList(0, 20);
        List<String> second = failures.subList(20, 40);
        double errorsBefore = counter("faultline.cache.requests", "result", "error");
        ClozeData.publish(first, "-outage");
        LocalServicesResource.stopRedis();
        try {
            ClozeData.publish(second, "-outage");
            try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
                topic.pollUntil(
                        rs -> rs.stream()
                                        .filter(r -> r.eventId().endsWith("-outage"))
                                        .map(AttributionResult::eventId)
                                        .distinct()
                                        .count()
                                == 40,
                        Duration.ofMinutes(3));
                Map<String, List<AttributionResult>> byEvent = topic.results.stream()
                        .filter(r -> r.eventId().endsWith("-outage"))
                        .collect(Collectors.groupingBy(AttributionResult::eventId));
                assertThat(byEvent).hasSize(40);
                byEvent.forEach((id, rs) -> {
                    assertThat(rs).as(id).hasSize(1);
                    String original = id.substring(0, id.length() - "-outage".length());
                    assertThat(rs.get(0).status().name())
                            .as(id)
                            .isEqualTo(data.expected.get(original).get("status").asText());
                });
            }
            assertThat(counter("faultline.cache.requests", "result", "error")).isGreaterThan(errorsBefore);
            // degraded, not unready: the pod still publishes every result
            given().when().get("/q/health/ready").then().statusCode(200);
            given().when().get("/q/health/group/dependencies").then().statusCode(503);
        } finally {
            LocalServicesResource.startRedis();
        }
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> given().when().get("/q/health/group/dependencies").statusCode() == 200);
    }

    @Test
    @Order(5)
    void tooLongPromptIsInputTooLong() throws Exception {
        EvalOutput base = data.events.get("tinystories-cloze/3");
        String prompt = base.prompt() + " Tom had a ball.".repeat(200);
        EvalOutput e = new EvalOutput(
                base.schema(),
                "cloze/too-long",
                "cloze/too-long-run",
                base.model(),
                base.benchmark(),
                "x",
                prompt,
                base.output(),
                base.references(),
                base.scoring(),
                null,
                base.segments(),
                null,
                null);
        sink.accept(new ScoredEvent(e, Verdict.INCORRECT, "Lily", null))
                .toCompletableFuture()
                .get();
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntilEach(List.of(e.eventId()), Duration.ofMinutes(2));
            assertThat(topic.of(e.eventId())).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(AttributionStatus.INPUT_TOO_LONG);
                assertThat(r.reason()).contains("limit is 512");
            });
        }
    }

    static String eventId(String line) {
        try {
            return ClozeData.JSON.readTree(line).get("event_id").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void awaitIndexed(String runId, int events) {
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    String body =
                            given().when().get("/api/runs").then().extract().asString();
                    return body.contains("\"run_id\":\"" + runId + "\",") && body.contains("\"events\":" + events);
                });
    }
}
