package dev.faultline.demo;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The demo run end to end: {@code POST /api/demo/runs} makes the bundled demo model answer held-out problems, the
 * answers go through the real pipeline (embedded Kafka, triage, worker, engine, results topic, run index), and the
 * run shows up in {@code /api/runs} with attributed failures and one console line per attributed failure.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class DemoRunTest {

    @Inject
    DemoConsole console;

    @Test
    void badParametersAreRejected() {
        given().when().post("/api/demo/runs?count=0").then().statusCode(400);
        given().when().post("/api/demo/runs?count=5&rate=-1").then().statusCode(400);
    }

    @Test
    void demoRunAppearsInTheRunsWithAttributedFailures() throws Exception {
        assumeThat(Files.exists(Path.of("models/faultline-demo/model.safetensors")))
                .as("no demo model")
                .isTrue();
        int count = 200; // seed 1,000,004: 22 wrong answers, 6 with logit diff > 1 (attributed; the first at index 62)
        JsonPath started = given().when()
                .post("/api/demo/runs?count=" + count + "&rate=200")
                .then()
                .statusCode(202)
                .extract()
                .jsonPath();
        String runId = started.getString("run_id");
        assertThat(runId).startsWith("faultline-demo/main/addition-");
        assertThat(started.getInt("count")).isEqualTo(count);

        Map<String, Object> run = org.awaitility.Awaitility.await(
                        "run " + runId + " in /api/runs with " + count + " results")
                .atMost(java.time.Duration.ofMinutes(3))
                .pollInterval(java.time.Duration.ofMillis(500))
                .until(
                        () -> {
                            List<Map<String, Object>> runs = given().when()
                                    .get("/api/runs")
                                    .then()
                                    .statusCode(200)
                                    .extract()
                                    .jsonPath()
                                    .getList("$");
                            return runs.stream()
                                    .filter(r -> runId.equals(r.get("run_id")))
                                    .findFirst()
                                    .orElse(null);
                        },
                        r -> r != null && ((Number) r.get("events")).intValue() == count);
        assertThat(run).as("run %s in /api/runs with %d results", runId, count).isNotNull();
        assertThat(((Number) run.get("events")).intValue()).isEqualTo(count);
        @SuppressWarnings("unchecked")
        Map<String, Integer> byStatus = (Map<String, Integer>) run.get("by_status");
        @SuppressWarnings("unchecked")
        Map<String, Integer> byVerdict = (Map<String, Integer>) run.get("by_verdict");
        assertThat(byStatus.getOrDefault("ATTRIBUTED", 0)).isPositive();
        assertThat(byVerdict.getOrDefault("CORRECT", 0)).isGreaterThan(byVerdict.getOrDefault("INCORRECT", 0));

        // what the producer says it published agrees with the verdicts the pipeline gave
        JsonPath demo = given().when()
                .get("/api/demo/runs")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        int i = demo.getList("run_id").indexOf(runId);
        assertThat(demo.getString("state[" + i + "]")).isEqualTo("done");
        assertThat(demo.getInt("published[" + i + "]")).isEqualTo(count);
        assertThat(demo.getInt("incorrect[" + i + "]")).isEqualTo(byVerdict.getOrDefault("INCORRECT", 0));

        // each attributed failure contrasts the model's wrong digit with the right one at the first wrong position
        List<Map<String, Object>> attributed = given().when()
                .get("/api/runs/" + runId + "/failures?status=ATTRIBUTED")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("items");
        assertThat(attributed).isNotEmpty();
        for (Map<String, Object> f : attributed) {
            String[] operands = ((String) f.get("example_id"))
                    .substring("addition/".length())
                    .split("\\+");
            AdditionProblem p = new AdditionProblem(operands[0], operands[1]);
            assertThat((String) f.get("contrast")).hasSize(1).matches("[0-9]");
            assertThat((String) f.get("wrong")).isNotEqualTo(f.get("contrast"));
            assertThat(p.answer()).contains((String) f.get("contrast"));
        }
        assertThat(console.recentLines())
                .anySatisfy(l -> assertThat(l)
                        .matches(
                                "ATTRIBUTED faultline-demo addition/\\d+\\+\\d+: wrong '.' vs '\\d' Δℓ=\\d+\\.\\d\\d top token '.'@\\d+"
                                        + " \\((cause|not cause)\\) (informative|not informative)"));
    }
}
