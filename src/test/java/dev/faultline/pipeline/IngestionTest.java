package dev.faultline.pipeline;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.faultline.channels.Topics;
import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class IngestionTest {

    private static KafkaCompanion companion;

    @BeforeAll
    static void connect() {
        companion = new KafkaCompanion(LocalServicesResource.bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        companion.close();
    }

    static String event(String eventId, String benchmark, String output, String reference) {
        return """
                {"schema": "faultline.eval-output/v1", "event_id": "%s", "run_id": "run-%s",
                 "model": {"name": "tiny", "revision": "step100", "step": 100}, "benchmark": "%s",
                 "example_id": "%s", "prompt": "Q: 6*12? A:", "output": "%s", "references": ["%s"],
                 "scoring": {"method": "numeric"}, "correct": null, "produced_at": "2026-11-24T12:00:00Z"}
                """.formatted(eventId, benchmark, benchmark, eventId, output, reference);
    }

    private static String metrics() {
        return given().accept("text/plain")
                .when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
    }

    /** The value of the series {@code name} whose labels include all {@code labels} ("k=v"), or -1. */
    static double series(String metrics, String name, String... labels) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + "{"))
                .filter(l -> java.util.Arrays.stream(labels).allMatch(kv -> {
                    String[] p = kv.split("=", 2);
                    return l.contains(p[0] + "=\"" + p[1] + "\"");
                }))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElse(-1);
    }

    private static void awaitCounted(String benchmark, String verdict, int count) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(series(
                                metrics(),
                                "faultline_events_total",
                                "benchmark=" + benchmark,
                                "model=tiny",
                                "revision=step100",
                                "verdict=" + verdict))
                        .isEqualTo(count));
    }

    @Test
    void postedEventIsPublishedScoredAndCounted() {
        given().contentType(ContentType.JSON)
                .body(event("http-1", "http-bench", "It is 72.", "#### 72"))
                .when()
                .post("/api/events")
                .then()
                .statusCode(202)
                .body("event_id", equalTo("http-1"));
        awaitCounted("http-bench", "CORRECT", 1);
    }

    @Test
    void eventProducedToTopicIsScoredAndCounted() {
        companion
                .produceStrings()
                .fromRecords(new ProducerRecord<>(
                        Topics.EVAL_OUTPUTS, "run-topic-bench", event("topic-1", "topic-bench", "71", "#### 72")))
                .awaitCompletion();
        awaitCounted("topic-bench", "INCORRECT", 1);
    }

    @Test
    void malformedRecordGoesToDlqWithReasonAndNextRecordIsProcessed() {
        ConsumerTask<String, String> dlq = companion.consumeStrings().fromTopics(Topics.EVAL_OUTPUTS_DLQ);
        try {
            companion
                    .produceStrings()
                    .fromRecords(
                            new ProducerRecord<>(Topics.EVAL_OUTPUTS, "bad-json", "{\"schema\": 1"),
                            new ProducerRecord<>(
                                    Topics.EVAL_OUTPUTS, "bad-schema", "{\"schema\": \"faultline.eval-output/v1\"}"),
                            new ProducerRecord<>(
                                    Topics.EVAL_OUTPUTS,
                                    "run-after-bad",
                                    event("after-1", "after-bad", "72", "#### 72")))
                    .awaitCompletion();
            awaitCounted("after-bad", "CORRECT", 1);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> find(dlq, "bad-json").isPresent()
                            && find(dlq, "bad-schema").isPresent());

            ConsumerRecord<String, String> badJson = find(dlq, "bad-json").orElseThrow();
            assertThat(badJson.value()).isEqualTo("{\"schema\": 1");
            assertThat(header(badJson, DeadLetters.REASON_CODE)).isEqualTo(InvalidEventException.INVALID_JSON);
            assertThat(header(badJson, DeadLetters.REASON)).contains("invalid JSON");
            assertThat(header(badJson, DeadLetters.TOPIC)).isEqualTo(Topics.EVAL_OUTPUTS);
            assertThat(Integer.parseInt(header(badJson, DeadLetters.PARTITION))).isGreaterThanOrEqualTo(0);
            assertThat(Long.parseLong(header(badJson, DeadLetters.OFFSET))).isGreaterThanOrEqualTo(0);

            ConsumerRecord<String, String> badSchema = find(dlq, "bad-schema").orElseThrow();
            assertThat(header(badSchema, DeadLetters.REASON_CODE)).isEqualTo(InvalidEventException.SCHEMA);
            assertThat(header(badSchema, DeadLetters.REASON)).contains("$.benchmark");
            String m = metrics();
            assertThat(series(m, "faultline_dlq_total", "reason=invalid_json")).isGreaterThanOrEqualTo(1);
            assertThat(series(m, "faultline_dlq_total", "reason=schema")).isGreaterThanOrEqualTo(1);
        } finally {
            dlq.stop();
        }
    }

    @Test
    void anOversizeContrastTextAndATombstoneGoToTheDlqAsTheyWere() {
        ConsumerTask<String, String> dlq = companion.consumeStrings().fromTopics(Topics.EVAL_OUTPUTS_DLQ);
        try {
            String contrast = event("contrast-1", "contrast-bench", "71", "#### 72")
                    .replace(
                            "\"correct\": null",
                            "\"correct\": null, \"error\": {\"contrast_text\": \"" + "c".repeat(65537) + "\"}");
            companion
                    .produceStrings()
                    .fromRecords(
                            new ProducerRecord<>(Topics.EVAL_OUTPUTS, "big-contrast", contrast),
                            new ProducerRecord<>(Topics.EVAL_OUTPUTS, "tombstone", null),
                            new ProducerRecord<>(
                                    Topics.EVAL_OUTPUTS,
                                    "run-after-tombstone",
                                    event("after-tombstone-1", "after-tombstone", "72", "#### 72")))
                    .awaitCompletion();
            awaitCounted("after-tombstone", "CORRECT", 1);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> find(dlq, "big-contrast").isPresent()
                            && find(dlq, "tombstone").isPresent());
            ConsumerRecord<String, String> big = find(dlq, "big-contrast").orElseThrow();
            assertThat(big.value()).isEqualTo(contrast);
            assertThat(header(big, DeadLetters.REASON_CODE)).isEqualTo(InvalidEventException.OVERSIZE);
            assertThat(header(big, DeadLetters.REASON))
                    .contains("$.error.contrast_text")
                    .contains("faultline.ingest.max-reference-bytes");
            ConsumerRecord<String, String> tombstone = find(dlq, "tombstone").orElseThrow();
            assertThat(tombstone.value())
                    .as("a null value stays null, not 0 bytes")
                    .isNull();
            assertThat(header(tombstone, DeadLetters.REASON_CODE)).isEqualTo(InvalidEventException.INVALID_JSON);
            assertThat(header(tombstone, DeadLetters.REASON)).contains("null value (a tombstone)");
            assertThat(header(tombstone, DeadLetters.TOPIC)).isEqualTo(Topics.EVAL_OUTPUTS);
        } finally {
            dlq.stop();
        }
    }

    private static Optional<ConsumerRecord<String, String>> find(ConsumerTask<String, String> task, String key) {
        return task.getRecords().stream().filter(r -> key.equals(r.key())).findFirst();
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header h = record.headers().lastHeader(name);
        assertThat(h).as("header %s", name).isNotNull();
        return new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void truncatedJsonIsRejected() {
        given().contentType(ContentType.JSON)
                .body("{\"schema\":1")
                .when()
                .post("/api/events")
                .then()
                .statusCode(400)
                .body("error", equalTo("invalid_json"))
                .body("field", equalTo("$"))
                .body("message", containsString("invalid JSON"));
    }

    @Test
    void missingRequiredFieldIsRejectedNamingIt() {
        String noEventId = event("x", "b", "1", "1").replace("\"event_id\": \"x\",", "");
        given().contentType(ContentType.JSON)
                .body(noEventId)
                .when()
                .post("/api/events")
                .then()
                .statusCode(400)
                .body("error", equalTo("schema"))
                .body("field", equalTo("$.event_id"))
                .body("message", containsString("event_id"));
    }

    @Test
    void wrongTypeIsRejectedNamingTheField() {
        String badStep = event("x", "b", "1", "1").replace("\"step\": 100", "\"step\": \"one hundred\"");
        given().contentType(ContentType.JSON)
                .body(badStep)
                .when()
                .post("/api/events")
                .then()
                .statusCode(400)
                .body("error", equalTo("schema"))
                .body("field", equalTo("$.model.step"));
    }

    @Test
    void oversizePromptIsRejected() {
        String big = "x".repeat(1024 * 1024 + 1);
        given().contentType(ContentType.JSON)
                .body(event("big", "b", "1", "1").replace("Q: 6*12? A:", big))
                .when()
                .post("/api/events")
                .then()
                .statusCode(400)
                .body("error", equalTo("oversize"))
                .body("field", equalTo("$.prompt"))
                .body("message", containsString("max-prompt-bytes"));
    }
}
