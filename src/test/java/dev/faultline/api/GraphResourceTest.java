package dev.faultline.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.triage.ClozeData;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Graph jobs over HTTP: a real wrong cloze answer of TinyStories-260K is attributed by the pipeline, then
 * POST starts its graph (202), the status reaches done, GET returns the graph, it is published on
 * {@code attribution.graphs} keyed by event id, and the plain result route still works.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class GraphResourceTest {

    @Test
    void postStartsAGraphJobWhoseGraphIsServedCachedAndPublished() throws Exception {
        ClozeData data = ClozeData.load();
        String line = data.eventLines.stream()
                .filter(l -> l.contains("\"tinystories-cloze/3\""))
                .findFirst()
                .orElseThrow();
        ObjectNode n = (ObjectNode) ClozeData.JSON.readTree(line);
        String id = "tinystories-cloze/3-graph";
        n.put("event_id", id);
        n.put("run_id", "graph-test");
        try (KafkaCompanion companion = new KafkaCompanion(LocalServicesResource.bootstrapServers())) {
            companion
                    .produceStrings()
                    .fromRecords(List.of(
                            new ProducerRecord<>("eval.outputs", "graph-test", ClozeData.JSON.writeValueAsString(n))))
                    .awaitCompletion(Duration.ofSeconds(60));
            await(() -> given().get("/api/attributions/" + id).statusCode() == 200, 120);
            given().get("/api/attributions/" + id).then().statusCode(200).body("status", equalTo("ATTRIBUTED"));

            given().get("/api/attributions/" + id + "/graph").then().statusCode(404);
            given().post("/api/attributions/no-such-event/graph")
                    .then()
                    .statusCode(404)
                    .body("error", org.hamcrest.Matchers.notNullValue());
            given().post("/api/attributions/" + id + "/graph?edge-mass=2")
                    .then()
                    .statusCode(400)
                    .body("error", org.hamcrest.Matchers.containsString("edge"));

            given().post("/api/attributions/" + id + "/graph")
                    .then()
                    .statusCode(202)
                    .body("event_id", equalTo(id))
                    .body("edge_mass", equalTo(0.85f));
            await(
                    () -> "done"
                            .equals(given().get("/api/attributions/" + id + "/graph/status")
                                    .jsonPath()
                                    .getString("state")),
                    120);

            Response r = given().get("/api/attributions/" + id + "/graph");
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode g = ClozeData.JSON.readTree(r.asString());
            int position = given().get("/api/attributions/" + id).jsonPath().getInt("target.position");
            assertThat(g.get("nodes").findValuesAsText("id")).contains("5:input:" + position);
            assertThat(g.get("edges").size()).isPositive();
            assertThat(g.get("pruning").size()).isEqualTo(10);
            for (JsonNode p : g.get("pruning")) {
                assertThat(p.get("kept_mass").asDouble()).isGreaterThanOrEqualTo(0.85 - 1e-9);
            }

            ConsumerTask<String, String> graphs =
                    companion.consumeStrings().fromTopics("attribution.graphs").awaitRecords(1, Duration.ofSeconds(30));
            assertThat(graphs.getRecords()).anySatisfy(rec -> {
                assertThat(rec.key()).isEqualTo(id);
                assertThat(rec.value()).isEqualTo(r.asString());
            });
            // a second POST finds the cached graph at once
            given().post("/api/attributions/" + id + "/graph")
                    .then()
                    .statusCode(202)
                    .body("state", equalTo("done"));
        }
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition, int seconds) {
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(seconds))
                .pollInterval(Duration.ofMillis(250))
                .until(condition);
    }
}
