package dev.faultline.pipeline;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.triage.ScoredEvent;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sink to topic to read-model to REST, on the embedded broker and Redis, for paths that need no attribution. */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class PipelineFlowTest {

    @Inject
    ScoredEventSink sink;

    static EvalOutput event(String id, String run, String model, String prompt) {
        return new EvalOutput(
                EvalOutput.SCHEMA,
                id,
                run,
                new EvalOutput.ModelRef(model, "main", null),
                "unit",
                id,
                prompt,
                " Lily.",
                List.of("Tom"),
                new EvalOutput.Scoring("regex", "^\\s*([A-Za-z]+)"),
                null,
                List.of(new EvalOutput.Segment("query", 0, 5)),
                null,
                "2026-11-24T00:00:00Z");
    }

    @Test
    void correctEventGetsOneResultServedFromTheTopic() throws Exception {
        EvalOutput e = event("flow/correct-1", "flow/run-a", "tinystories-260k", "Once upon a time");
        sink.accept(new ScoredEvent(e, Verdict.CORRECT, "Lily", null))
                .toCompletableFuture()
                .get();
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            List<AttributionResult> all = topic.pollUntilEach(List.of(e.eventId()), Duration.ofSeconds(30));
            assertThat(topic.of(e.eventId()))
                    .singleElement()
                    .satisfies(r -> assertThat(r.status()).isEqualTo(AttributionStatus.CORRECT));
            assertThat(all).isNotEmpty();
        }
        // triage stores and links its own results too: drop the link so that REST falls back to the topic
        assertThat(redis.value(String.class).get("faultline:event:" + e.eventId()))
                .isEqualTo("faultline:result:" + e.eventId());
        redis.key(String.class).del("faultline:event:" + e.eventId());
        awaitRest(e.eventId());
        given().when()
                .get("/api/attributions/" + e.eventId())
                .then()
                .statusCode(200)
                .header("X-Faultline-Source", "topic")
                .body("status", equalTo("CORRECT"))
                .body("event_id", equalTo(e.eventId()));
        given().when().get("/api/runs").then().statusCode(200);
        String runs = given().when().get("/api/runs").then().extract().asString();
        assertThat(runs).contains("flow/run-a");
    }

    @Test
    void unknownModelGivesModelUnavailableWithTheReason() throws Exception {
        EvalOutput e = event("flow/unknown-model-1", "flow/run-b", "no-such-model", "Once upon a time");
        sink.accept(new ScoredEvent(e, Verdict.INCORRECT, "Lily", null))
                .toCompletableFuture()
                .get();
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntilEach(List.of(e.eventId()), Duration.ofSeconds(60));
            assertThat(topic.of(e.eventId())).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(AttributionStatus.MODEL_UNAVAILABLE);
                assertThat(r.reason()).contains("no-such-model@main");
                assertThat(r.verdict()).isEqualTo(Verdict.INCORRECT);
            });
        }
        awaitRest(e.eventId());
        given().when()
                .get("/api/runs/flow/run-b/failures?page=0&size=10")
                .then()
                .statusCode(200)
                .body("total", equalTo(1))
                .body("items[0].event_id", equalTo(e.eventId()))
                .body("items[0].status", equalTo("MODEL_UNAVAILABLE"));
        given().when()
                .get("/api/runs/flow/run-b/failures?status=ATTRIBUTED")
                .then()
                .statusCode(200)
                .body("total", equalTo(0));
        given().when().get("/api/runs/flow/run-b/failures?status=NOPE").then().statusCode(400);
    }

    @Inject
    io.quarkus.redis.datasource.RedisDataSource redis;

    @Inject
    dev.faultline.store.RunIndex runIndex;

    @Test
    void theRunIndexLivesInRedisAndItsWriterCommitsSoNoProcessReplaysTheTopic() throws Exception {
        EvalOutput e = event("flow/indexed-1", "flow/run-idx", "tinystories-260k", "Once upon a time");
        sink.accept(new ScoredEvent(e, Verdict.CORRECT, "Lily", null))
                .toCompletableFuture()
                .get();
        awaitRest(e.eventId());
        String summary = redis.value(String.class).get("faultline:runs:event:" + e.eventId());
        assertThat(summary).contains("\"run_id\":\"flow/run-idx\"").contains("\"partition\"");
        assertThat(redis.hash(String.class).hget("faultline:runs:counts:flow/run-idx", "events"))
                .isEqualTo("1");
        assertThat(redis.key(String.class).ttl("faultline:runs:run:flow/run-idx"))
                .isPositive();
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", LocalServicesResource.bootstrapServers());
        long deadline = System.currentTimeMillis() + 30_000;
        java.util.Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata>
                committed;
        try (var admin = org.apache.kafka.clients.admin.Admin.create(p)) {
            do {
                committed = admin.listConsumerGroupOffsets("faultline-index")
                        .partitionsToOffsetAndMetadata()
                        .get(30, java.util.concurrent.TimeUnit.SECONDS);
                Thread.sleep(200);
            } while (committed.isEmpty() && System.currentTimeMillis() < deadline);
        }
        assertThat(committed.keySet())
                .extracting(org.apache.kafka.common.TopicPartition::topic)
                .contains(Topics.ATTRIBUTION_RESULTS);
    }

    @Test
    void chatEventWhoseModelHasNoTemplateFailsWithTheReasonAndOthersGoOn() throws Exception {
        EvalOutput plain = event("flow/chat-plain-1", "flow/run-c", "tinystories-260k", "Once upon a time, Tom met");
        EvalOutput chat = new EvalOutput(
                EvalOutput.SCHEMA,
                "flow/chat-1",
                "flow/run-c",
                new EvalOutput.ModelRef("tinystories-260k", "main", null),
                "unit",
                "flow/chat-1",
                null,
                " Lily.",
                List.of("Tom"),
                new EvalOutput.Scoring("regex", "^\\s*([A-Za-z]+)"),
                null,
                List.of(new EvalOutput.Segment("asked", 0, 0, "user")),
                null,
                "2026-11-24T00:00:00Z",
                List.of(java.util.Map.of("role", "user", "content", "Who met Tom?")),
                true,
                null,
                null,
                null,
                null);
        sink.accept(new ScoredEvent(chat, Verdict.INCORRECT, "Lily", null))
                .toCompletableFuture()
                .get();
        sink.accept(new ScoredEvent(plain, Verdict.INCORRECT, "Lily", null))
                .toCompletableFuture()
                .get();
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntilEach(List.of(plain.eventId(), chat.eventId()), Duration.ofSeconds(120));
            assertThat(topic.of(chat.eventId())).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(AttributionStatus.FAILED);
                assertThat(r.reason()).contains("chat template").contains("no chat_template");
            });
            assertThat(topic.of(plain.eventId()))
                    .singleElement()
                    .satisfies(r -> assertThat(r.status()).isNotEqualTo(AttributionStatus.FAILED));
        }
    }

    @Test
    void lmEvalGenerationsAreAttributedInTheContextTheModelSaw() throws Exception {
        // the harness's own logs of this model at main: outputs are its greedy generations, decoded without the
        // first word's space; with the space restored, the wrong token is the model's top choice (Δℓ >= 0)
        java.nio.file.Path folder =
                dev.faultline.engine.SharedFiles.require("data/lm-eval-tinystories/logs/models__tinystories-260k");
        java.nio.file.Path gen;
        try (var files = java.nio.file.Files.list(folder)) {
            gen = files.filter(f -> f.getFileName().toString().contains("cloze_gen"))
                    .findFirst()
                    .orElseThrow();
        }
        List<EvalOutput> failures = new dev.faultline.replay.ReplayReader(
                        new com.fasterxml.jackson.databind.ObjectMapper())
                        .read(
                                gen,
                                dev.faultline.replay.ReplayReader.Format.LM_EVAL,
                                new dev.faultline.replay.ReplayReader.Stamp(
                                        "tinystories-260k", "main", "flow/lm-eval", null))
                        .stream()
                        .map(dev.faultline.replay.ReplayItem::event)
                        .filter(e -> Boolean.FALSE.equals(e.correct()))
                        .limit(6)
                        .toList();
        assertThat(failures).hasSize(6);
        for (EvalOutput e : failures) {
            assertThat(e.output()).doesNotStartWith(" ");
            sink.accept(new ScoredEvent(e, Verdict.INCORRECT, null, "producer verdict"))
                    .toCompletableFuture()
                    .get();
        }
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntilEach(failures.stream().map(EvalOutput::eventId).toList(), Duration.ofSeconds(180));
            for (EvalOutput e : failures) {
                assertThat(topic.of(e.eventId())).singleElement().satisfies(r -> {
                    assertThat(r.target()).as(e.eventId() + ": " + r.reason()).isNotNull();
                    assertThat(r.target().logitDiff()).as(e.eventId()).isGreaterThanOrEqualTo(0.0);
                    assertThat(r.tokenization().leadingSpaceRestored()).isTrue();
                });
            }
        }
    }

    @Test
    void redeliveredCorrectAndUnscorableEventsPublishNothingAgain() throws Exception {
        ScoredEvent correct = new ScoredEvent(
                event("flow/again-correct", "flow/run-again", "tinystories-260k", "Once upon a time"),
                Verdict.CORRECT,
                "Lily",
                null);
        ScoredEvent unscorable = new ScoredEvent(
                event("flow/again-unscorable", "flow/run-again", "tinystories-260k", "Once upon a time"),
                Verdict.UNSCORABLE,
                null,
                "no references and no producer verdict");
        for (int delivery = 0; delivery < 3; delivery++) {
            for (var stage : sink.acceptAll(List.of(correct, unscorable))) {
                stage.toCompletableFuture().get();
            }
        }
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.readToEnd(Duration.ofSeconds(30));
            assertThat(topic.of("flow/again-correct"))
                    .singleElement()
                    .satisfies(r -> assertThat(r.status()).isEqualTo(AttributionStatus.CORRECT));
            assertThat(topic.of("flow/again-unscorable"))
                    .singleElement()
                    .satisfies(r -> assertThat(r.status()).isEqualTo(AttributionStatus.UNSCORABLE));
        }
    }

    @Test
    void aResultLinkedInRedisByAnotherProcessIsNotPublishedHere() throws Exception {
        String id = "flow/linked-elsewhere";
        redis.value(String.class).setex("faultline:event:" + id, 600, "faultline:result:" + id);
        sink.accept(new ScoredEvent(
                        event(id, "flow/run-elsewhere", "tinystories-260k", "Once upon a time"),
                        Verdict.CORRECT,
                        "Lily",
                        null))
                .toCompletableFuture()
                .get();
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.readToEnd(Duration.ofSeconds(30));
            assertThat(topic.of(id)).isEmpty();
        }
    }

    @Test
    void withoutTheRedisLinkTheProcessThatPublishedStillPublishesNothingAgain() throws Exception {
        ScoredEvent correct = new ScoredEvent(
                event("flow/link-lost", "flow/run-lost", "tinystories-260k", "Once upon a time"),
                Verdict.CORRECT,
                "Lily",
                null);
        sink.accept(correct).toCompletableFuture().get();
        redis.key(String.class).del("faultline:event:flow/link-lost");
        sink.accept(correct).toCompletableFuture().get();
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.readToEnd(Duration.ofSeconds(30));
            assertThat(topic.of("flow/link-lost")).hasSize(1);
        }
    }

    @Test
    void aResultStoredForAnotherEventIsServedWithThisEventsIdentity() throws Exception {
        EvalOutput first = event("flow/shared-1", "flow/run-shared-1", "tinystories-260k", "Once upon a time");
        EvalOutput second = event("flow/shared-2", "flow/run-shared-2", "tinystories-260k", "Once upon a time");
        sink.accept(new ScoredEvent(first, Verdict.CORRECT, "Lily", null))
                .toCompletableFuture()
                .get();
        sink.accept(new ScoredEvent(second, Verdict.UNSCORABLE, null, "no references"))
                .toCompletableFuture()
                .get();
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> runIndex.event(second.eventId()).isPresent());
        // link the second event to the first's stored result, as a content-cache hit links an event to a result
        // computed for another
        redis.value(String.class)
                .setex("faultline:event:" + second.eventId(), 600, "faultline:result:" + first.eventId());
        given().when()
                .get("/api/attributions/" + second.eventId())
                .then()
                .statusCode(200)
                .header("X-Faultline-Source", "redis")
                .body("status", equalTo("CORRECT"))
                .body("event_id", equalTo(second.eventId()))
                .body("run_id", equalTo("flow/run-shared-2"))
                .body("example_id", equalTo(second.exampleId()));
    }

    @Test
    void unknownEventIs404() {
        given().when().get("/api/attributions/flow/never-published").then().statusCode(404);
    }

    static void awaitRest(String eventId) {
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(30))
                .pollInterval(java.time.Duration.ofMillis(200))
                .until(() -> given().when().get("/api/attributions/" + eventId).statusCode() == 200);
    }
}
