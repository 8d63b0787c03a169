package dev.faultline.fleet;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.pipeline.AttributionWorker;
import dev.faultline.pipeline.GraphJobs;
import dev.faultline.store.GraphSlots;
import dev.faultline.triage.ClozeData;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * This Quarkus process is a triage-only pod with {@code faultline.graph.max-queued=2}; a worker is an
 * {@link InProcessWorker} that hands each job and fleet request to the real worker paths, as in {@link FleetWorkTest}.
 * Shown: graph jobs forwarded to the workers take fleet-wide slots in Redis (the third is 429 with
 * {@code Retry-After}), a DELETE frees a forwarded job's slot and its worker skips it (no graph), and the slots free
 * when the workers finish; while Redis is down a forwarded POST or DELETE fails closed (503).
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
@TestProfile(ForwardedGraphQuotaTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ForwardedGraphQuotaTest {

    static final String JOBS = "attribution.jobs.quota";
    static final String REQUESTS = "attribution.requests.quota";
    static final String SUFFIX = "-quota";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return InProcessWorker.triageOn(JOBS, REQUESTS, Map.of("faultline.graph.max-queued", "2"));
        }
    }

    @Inject
    AttributionWorker worker;

    @Inject
    FleetRequests fleet;

    @Inject
    GraphSlots slots;

    @Inject
    ObjectMapper json;

    /** The attributed events of the first test. */
    static List<String> ids = List.of();

    @Test
    @Order(1)
    void forwardedJobsAreBoundedFleetWideAndACancelledOneProducesNoGraph() throws Exception {
        LocalServicesResource.createTopics(Map.of(JOBS, 2, REQUESTS, 2));
        ids = attributedEvents(6);
        assertThat(ids).as("attributed cloze failures").hasSizeGreaterThanOrEqualTo(4);
        String a = ids.get(0);
        String b = ids.get(1);
        String c = ids.get(2);
        String d = ids.get(3);
        try {
            // no worker reads the requests yet: the forwarded jobs stay queued and hold their slots
            for (String id : List.of(a, b)) {
                given().post(graph(id))
                        .then()
                        .statusCode(202)
                        .body("state", equalTo("queued"))
                        .body("phase", equalTo(GraphJobs.FORWARDED));
            }
            assertThat(slots.count()).isEqualTo(2);
            Response full = given().post(graph(c));
            assertThat(full.statusCode()).isEqualTo(429);
            assertThat(full.header("Retry-After")).isEqualTo("10");
            assertThat(full.jsonPath().getString("error")).contains("max-queued=2");
            // a job already forwarded is found, not counted again
            given().post(graph(a)).then().statusCode(202).body("phase", equalTo(GraphJobs.FORWARDED));

            given().delete(graph(b)).then().statusCode(200).body("state", equalTo("cancelled"));
            given().get(graph(b) + "/status").then().statusCode(200).body("state", equalTo("cancelled"));
            given().delete(graph(b)).then().statusCode(409);
            assertThat(slots.count()).as("the cancelled job's slot is free").isEqualTo(1);
            given().post(graph(c)).then().statusCode(202).body("phase", equalTo(GraphJobs.FORWARDED));
            assertThat(given().post(graph(d)).statusCode()).isEqualTo(429);

            // a worker takes the three requests: a and c are built, b is skipped
            List<String> taken = work(REQUESTS, handled -> handled.size() >= 3);
            assertThat(taken).contains(a, b, c);
            for (String id : List.of(a, c)) {
                given().get(graph(id) + "/status").then().statusCode(200).body("state", equalTo("done"));
                given().get(graph(id)).then().statusCode(200);
            }
            given().get(graph(b) + "/status").then().statusCode(200).body("state", equalTo("cancelled"));
            given().get(graph(b)).then().statusCode(404);
            assertThat(slots.count()).as("slots free when the workers finish").isZero();

            given().post(graph(d)).then().statusCode(202).body("phase", equalTo(GraphJobs.FORWARDED));
            given().post(graph(b)).then().statusCode(202).body("phase", equalTo(GraphJobs.FORWARDED));
        } finally {
            for (String id : List.of(a, b, c, d)) {
                slots.release(id);
            }
        }
    }

    @Test
    @Order(2)
    void whileRedisIsDownForwardedPostsAndDeletesAre503() {
        assertThat(ids).as("the first test's events").isNotEmpty();
        LocalServicesResource.stopRedis();
        try {
            Response post = given().post(graph(ids.get(0)));
            assertThat(post.statusCode()).as(post.asString()).isEqualTo(503);
            // forwarded by this pod and never taken by the in-test worker: only Redis knows of it
            Response delete = given().delete(graph(ids.get(3)));
            assertThat(delete.statusCode()).as(delete.asString()).isEqualTo(503);
        } finally {
            LocalServicesResource.startRedis();
        }
    }

    /** Sends cloze failures to the triage pod, has the worker attribute their jobs, and returns the attributed ones. */
    List<String> attributedEvents(int n) throws Exception {
        ClozeData data = ClozeData.load();
        List<String> lines = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (String line : data.eventLines) {
            String original = ClozeData.JSON.readTree(line).get("event_id").asText();
            if (data.expected.get(original).path("correct").asBoolean(true)) {
                continue;
            }
            lines.add(line);
            ids.add(original + SUFFIX);
            if (ids.size() == n) {
                break;
            }
        }
        ClozeData.publish(lines, SUFFIX);
        work(
                JOBS,
                handled -> ids.stream()
                        .allMatch(id -> given().get("/api/attributions/" + id).statusCode() == 200));
        return ids.stream()
                .filter(id -> "ATTRIBUTED"
                        .equals(given().get("/api/attributions/" + id)
                                .jsonPath()
                                .getString("status")))
                .toList();
    }

    /**
     * One worker in its own group on {@code topic} alone, until {@code done} holds for the keys of the records whose
     * work is done (at most two minutes); returns those keys.
     */
    List<String> work(String topic, Predicate<List<String>> done) throws Exception {
        InProcessWorker.Group workers = new InProcessWorker.Group(
                LocalServicesResource.bootstrapServers(), "quota-workers", JOBS, REQUESTS, worker, fleet, json);
        try (InProcessWorker w = workers.startOn(topic, topic)) {
            Awaitility.await("worker done on " + topic + " within two minutes")
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> done.test(w.doneKeys()));
            return w.doneKeys();
        }
    }

    static String graph(String id) {
        return "/api/attributions/" + id + "/graph";
    }
}
