package dev.faultline.fleet;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.EvalOutput;
import dev.faultline.demo.AdditionProblem;
import dev.faultline.demo.AdditionSuite;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.pipeline.AttributionWorker;
import dev.faultline.pipeline.GraphJobs;
import dev.faultline.tracking.FailureTracker;
import dev.faultline.tracking.Revision;
import dev.faultline.tracking.TrackedFailure;
import dev.faultline.tracking.TrackingStore;
import dev.faultline.tracking.Trajectory;
import dev.faultline.tracking.TrajectoryPoint;
import dev.faultline.triage.ClozeData;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * This Quarkus process is a triage-only pod ({@code faultline.role=triage}: it scores events, runs the fleet's
 * tracking group and serves REST, but attributes nothing). Two {@link InProcessWorker}s are separate Kafka consumers
 * in one group, each polling the jobs topic and the fleet requests topic and handing every record to the real worker
 * paths ({@link AttributionWorker#attribute}, {@link FleetRequests#handle}), committing once a poll's work is done, as
 * the connector does. Shown: a graph POST to the triage pod is forwarded and later answered by a worker; a new revision's
 * re-attribution of a tracked set is queued and done once per failure, not once per worker or per trigger.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
@TestProfile(FleetWorkTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetWorkTest {

    static final String JOBS = "attribution.jobs.fleet";
    static final String REQUESTS = "attribution.requests.fleet";
    static final int PARTITIONS = 4;
    static final String MODEL = "tinystories-260k";
    static final String BENCHMARK = "tinystories-cloze-fleet";
    static final String SUFFIX = "#fleet";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return InProcessWorker.triageOn(
                    JOBS,
                    REQUESTS,
                    Map.of(
                            "faultline.attribution.job-shards",
                            Integer.toString(PARTITIONS),
                            // the random wrong digits are seldom the model's own choice: attribute them all the same
                            "faultline.attribution.min-logit-diff",
                            "-1000"));
        }
    }

    @Inject
    AttributionWorker worker;

    @Inject
    FleetRequests fleet;

    @Inject
    FailureTracker tracker;

    @Inject
    ObjectMapper json;

    static InProcessWorker a;
    static InProcessWorker b;

    @BeforeAll
    static void topics() throws Exception {
        LocalServicesResource.createTopics(Map.of(JOBS, PARTITIONS, REQUESTS, PARTITIONS));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (InProcessWorker i : new InProcessWorker[] {a, b}) {
            if (i != null) {
                i.close();
            }
        }
    }

    /** The re-attribution requests of this test's tracked set that {@code w} took. */
    static List<String> retracks(InProcessWorker w) {
        return w.requests().stream()
                .filter(r -> r.path("kind").asText().equals("retrack")
                        && r.path("failure").path("benchmark").asText().equals(BENCHMARK))
                .map(r -> r.path("failure").path("event_id").asText() + "@"
                        + r.path("revision").path("name").asText())
                .toList();
    }

    void startWorkers() throws InterruptedException {
        if (a == null) {
            InProcessWorker.Group workers = new InProcessWorker.Group(
                    LocalServicesResource.bootstrapServers(), "fw-workers", JOBS, REQUESTS, worker, fleet, json);
            a = workers.start("a");
            b = workers.start("b");
            Thread.sleep(3000); // both join the group before work arrives
        }
    }

    @Test
    @Order(1)
    void aGraphPostToATriagePodIsForwardedAndAnsweredByAWorker() throws Exception {
        startWorkers();
        AdditionProblem problem = new AdditionProblem("48213", "7716");
        String answer = problem.answer();
        String wrong = answer.substring(0, answer.length() - 1)
                + (char) ('0' + (answer.charAt(answer.length() - 1) - '0' + 3) % 10);
        EvalOutput e = AdditionSuite.toEvent(
                problem,
                wrong,
                "fleet/graph",
                new EvalOutput.ModelRef("faultline-demo", "main", null),
                Instant.parse("2026-11-24T00:00:00Z"));
        try (KafkaCompanion companion = new KafkaCompanion(LocalServicesResource.bootstrapServers())) {
            companion
                    .produceStrings()
                    .fromRecords(List.of(new ProducerRecord<>("eval.outputs", e.runId(), json.writeValueAsString(e))))
                    .awaitCompletion(Duration.ofSeconds(60));
        }
        String id = e.eventId();
        await(
                () -> given().get("/api/attributions/" + id).statusCode() == 200,
                Duration.ofMinutes(2),
                "the event attributed by a worker");
        given().get("/api/attributions/" + id).then().body("status", equalTo("ATTRIBUTED"));

        Response posted = given().post("/api/attributions/" + id + "/graph");
        posted.then().statusCode(202).body("state", equalTo("queued")).body("phase", equalTo(GraphJobs.FORWARDED));
        assertThat(posted.header("Location")).endsWith("/api/attributions/" + id + "/graph/status");
        await(
                () -> "done"
                        .equals(given().get("/api/attributions/" + id + "/graph/status")
                                .jsonPath()
                                .getString("state")),
                Duration.ofMinutes(2),
                "the forwarded graph job done");
        Response graph = given().get("/api/attributions/" + id + "/graph");
        graph.then().statusCode(200);
        assertThat(graph.jsonPath().getList("nodes")).isNotEmpty();
        List<JsonNode> graphRequests = new ArrayList<>();
        for (InProcessWorker i : List.of(a, b)) {
            i.requests().stream()
                    .filter(r -> r.path("kind").asText().equals("graph")
                            && id.equals(r.path("event_id").asText()))
                    .forEach(graphRequests::add);
        }
        assertThat(graphRequests).as("one worker took the forwarded graph job").hasSize(1);
    }

    @Test
    @Order(2)
    void aNewRevisionIsReattributedOncePerFailureWhateverTheWorkersAndTriggers() throws Exception {
        startWorkers();
        ClozeData data = ClozeData.load();
        ClozeData.publish(data.eventLines, SUFFIX, BENCHMARK);
        // the failures with a pair at main: CHECKPOINTS.md's 74
        await(
                () -> tracker.trajectories(MODEL, BENCHMARK).size() == 74
                        && tracker.trajectories(MODEL, BENCHMARK).stream().allMatch(t -> has(t, "main")),
                Duration.ofMinutes(5),
                "74 tracked with their main point");

        // the triage pod has no checkpoints: its track request goes to the workers, with where to poll
        given().post("/api/models/" + MODEL + "/revisions/step0050/track")
                .then()
                .statusCode(202)
                .body("forwarded", equalTo(true))
                .body("scheduled", equalTo(0))
                .body("poll", equalTo("/api/models/" + MODEL + "/trajectories"));
        await(
                () -> tracker.trajectories(MODEL, BENCHMARK).stream().allMatch(t -> has(t, "step0050")),
                Duration.ofMinutes(5),
                "a step0050 point for each of the 74");
        // every other worker that learns of the revision triggers it again: nothing more is queued
        assertThat(tracker.track(MODEL, "step0050", null)).isZero();
        assertThat(tracker.track(MODEL, "step0050", null)).isZero();

        List<Trajectory> ts = tracker.trajectories(MODEL, BENCHMARK);
        assertThat(ts)
                .allSatisfy(t -> assertThat(t.points())
                        .extracting(TrajectoryPoint::revision)
                        .startsWith("main", "step0050")
                        .doesNotHaveDuplicates());
        given().get("/api/models/" + MODEL + "/trajectories?benchmark=" + BENCHMARK)
                .then()
                .statusCode(200)
                .body("[0].tracked", equalTo(74));

        Thread.sleep(2000); // a duplicate request would be delivered right after the last one
        List<String> taken = new ArrayList<>(retracks(a));
        taken.addAll(retracks(b));
        taken.removeIf(k -> !k.endsWith("@step0050"));
        List<String> expected = ts.stream().map(t -> t.eventId() + "@step0050").toList();
        assertThat(taken)
                .as("each failure re-attributed once at step0050, by one of the two workers")
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    @Inject
    TrackingStore store;

    @Test
    @Order(3)
    void theTrackingGroupCommitsItsOffsetsAndReadersServeWhatRedisHolds() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("faultline-tracking")
                    .partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            assertThat(committed.entrySet())
                    .as("a restarted pod resumes from the group's offsets")
                    .anySatisfy(e -> {
                        assertThat(e.getKey().topic()).isEqualTo("attribution.results");
                        assertThat(e.getValue().offset()).isPositive();
                    });
        }
        // state another pod wrote (no result of this model was ever on the topic) is what this pod serves
        TrackedFailure f = tracker.tracked(MODEL, BENCHMARK).get(0);
        String other = "fleet-other-model";
        TrackedFailure copy = new TrackedFailure(
                f.eventId(),
                other,
                "main",
                null,
                BENCHMARK,
                f.exampleId(),
                f.inputIds(),
                f.position(),
                f.wrong(),
                f.wrongText(),
                f.contrast(),
                f.contrastText(),
                f.logitDiff(),
                f.tokens(),
                f.segmentNames());
        store.putRevision(other, new Revision("main", null, store.nextSeq(), Revision.rankAfter(null, null)));
        assertThat(store.putTrackedIfAbsent(copy)).isTrue();
        assertThat(store.putTrackedIfAbsent(copy)).as("added once").isFalse();
        given().get("/api/models/" + other + "/revisions")
                .then()
                .statusCode(200)
                .body("name", equalTo(List.of("main")));
        given().get("/api/models/" + other + "/trajectories?benchmark=" + BENCHMARK)
                .then()
                .statusCode(200)
                .body("[0].tracked", equalTo(1))
                .body("[0].trajectories[0].event_id", equalTo(f.eventId()));
    }

    @Test
    @Order(4)
    void aReattributionClaimIsTakenOnceUntilFreed() {
        TrackedFailure f = tracker.tracked(MODEL, BENCHMARK).get(0);
        assertThat(store.claimRetrack(f, "step9000", 60)).isTrue();
        assertThat(store.claimRetrack(f, "step9000", 60))
                .as("a second worker or trigger")
                .isFalse();
        store.releaseRetrack(f, "step9000");
        assertThat(store.claimRetrack(f, "step9000", 60))
                .as("freed after a failed job")
                .isTrue();
        store.releaseRetrack(f, "step9000");
    }

    static boolean has(Trajectory t, String revision) {
        return t.points().stream().anyMatch(p -> p.revision().equals(revision));
    }

    static void await(java.util.concurrent.Callable<Boolean> done, Duration timeout, String what) {
        org.awaitility.Awaitility.await(what)
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(200))
                .until(done);
    }
}
