package dev.faultline.compare;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.pipeline.ModelRegistry;
import dev.faultline.triage.ClozeAnswers;
import dev.faultline.triage.ClozeData;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * TinyStories-260K {@code main} against {@code step0380} on the cloze benchmark, through the running service: the
 * benchmark's events as answered by {@code main} (its own outputs) and by {@code step0380} (the engine's greedy
 * answers, as {@code CheckpointEventsTool} makes them), under a benchmark name of their own. CHECKPOINTS.md gives
 * main 26/100 and step0380 62/100 correct, and 42 of main's 74 failures answered correctly at step0380; so 42
 * fixed, 74 - 42 = 32 failed by both, 38 - 32 = 6 broken (step0380's 38 failures not among main's) and
 * 26 - 6 = 20 right for both. Then main's failures are scored on {@code step0100}, which never answered the
 * benchmark: 51 of the 74 have Δℓ ≤ 0 there (CHECKPOINTS.md, "fixed" at step0100).
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CompareTest {

    static final String MODEL = "tinystories-260k";
    static final String BENCHMARK = "tinystories-cloze-compare";
    static final ModelRev MAIN = new ModelRev(MODEL, "main");
    static final ModelRev LATE = new ModelRev(MODEL, "step0380");
    static final ModelRev MID = new ModelRev(MODEL, "step0100");
    static final String PAIR = MODEL + "@main," + MODEL + "@step0380";

    static ClozeData data;

    @Inject
    CompareIndex index;

    @Inject
    ModelRegistry registry;

    @Inject
    AttributionEngine engine;

    @BeforeAll
    static void load() {
        data = ClozeData.load();
    }

    static void await(java.util.concurrent.Callable<Boolean> done, Duration timeout, String what) {
        Awaitility.await(what)
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(200))
                .until(done);
    }

    @Test
    @Order(1)
    void bothRevisionsAnswerTheBenchmark() throws Exception {
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (String line : data.eventLines) {
            for (ModelRev m : List.of(MAIN, LATE)) {
                ObjectNode n = (ObjectNode) ClozeData.JSON.readTree(line);
                String id = n.get("event_id").asText();
                n.put("event_id", id + "#compare-" + m.revision());
                n.put("run_id", MODEL + "/" + m.revision() + "/" + BENCHMARK);
                n.put("benchmark", BENCHMARK);
                ObjectNode model = n.putObject("model");
                model.put("name", MODEL).put("revision", m.revision());
                if (m.equals(LATE)) {
                    model.put("step", 380);
                    n.put(
                            "output",
                            ClozeAnswers.answer(
                                    registry,
                                    engine,
                                    MODEL,
                                    LATE.revision(),
                                    n.get("prompt").asText()));
                }
                records.add(new ProducerRecord<>(
                        "eval.outputs", n.get("run_id").asText(), ClozeData.JSON.writeValueAsString(n)));
            }
        }
        try (KafkaCompanion companion = new KafkaCompanion(LocalServicesResource.bootstrapServers())) {
            companion.produceStrings().fromRecords(records).awaitCompletion(Duration.ofSeconds(60));
        }
        await(
                () -> index.entries(MAIN, BENCHMARK).size() == 100
                        && index.entries(LATE, BENCHMARK).size() == 100,
                Duration.ofMinutes(5),
                "200 outcomes indexed");
        Map<String, CompareIndex.Entry> main = index.entries(MAIN, BENCHMARK);
        // matched by example id: the benchmark's own ids, not the event ids
        assertThat(main.keySet()).containsExactlyInAnyOrderElementsOf(data.expected.keySet());
        main.forEach((ex, e) -> assertThat(e.status().name())
                .as(ex)
                .isEqualTo(data.expected.get(ex).get("status").asText()));
    }

    @Test
    @Order(2)
    void overlapCountsAreTheOnesCheckpointsMdImplies() {
        JsonPath r = given().queryParam("benchmark", BENCHMARK)
                .queryParam("models", PAIR)
                .when()
                .get("/api/compare")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(r.getDouble("models[0].accuracy")).isEqualTo(0.26);
        assertThat(r.getDouble("models[1].accuracy")).isEqualTo(0.62);
        assertThat(r.getInt("pairs[0].matched")).isEqualTo(100);
        assertThat(r.getInt("pairs[0].both_failed")).isEqualTo(32);
        assertThat(r.getInt("pairs[0].fixed")).isEqualTo(42);
        assertThat(r.getInt("pairs[0].broken")).isEqualTo(6);
        assertThat(r.getInt("pairs[0].both_correct")).isEqualTo(20);
        assertThat(r.getString("similarity")).contains("cosine").contains("character");
        // every example failed by both has its two events, Δℓ of each and, when both are attributed, a similarity
        List<Map<String, Object>> both = r.getList("pairs[0].failed_by_both");
        assertThat(both).hasSize(32);
        int withSimilarity = 0;
        for (Map<String, Object> e : both) {
            @SuppressWarnings("unchecked")
            Map<String, Object> first = (Map<String, Object>) e.get("first");
            @SuppressWarnings("unchecked")
            Map<String, Object> second = (Map<String, Object>) e.get("second");
            assertThat((String) first.get("event_id")).endsWith("#compare-main");
            assertThat((String) second.get("event_id")).endsWith("#compare-step0380");
            assertThat(first.get("logit_diff")).isNotNull();
            if ("ATTRIBUTED".equals(first.get("status")) && "ATTRIBUTED".equals(second.get("status"))) {
                assertThat(((Number) e.get("similarity")).doubleValue()).isBetween(-1.0, 1.0);
                // one tokenizer, one prompt: the shared text is at least the whole prompt
                String prompt = data.events.get(e.get("example_id")).prompt();
                assertThat(((Number) e.get("shared_chars")).intValue()).isGreaterThanOrEqualTo(prompt.length());
                withSimilarity++;
            }
        }
        assertThat(withSimilarity).isPositive();
        // per segment side by side: the cloze segments for both
        assertThat(r.getMap("models[0].segments")).containsKeys("evidence", "distractor", "query");
        assertThat(r.getMap("models[1].segments")).containsKeys("evidence", "distractor", "query");
        // refusals
        given().queryParam("benchmark", BENCHMARK)
                .queryParam("models", MODEL + "@main")
                .when()
                .get("/api/compare")
                .then()
                .statusCode(400);
        given().queryParam("benchmark", BENCHMARK)
                .queryParam("models", MODEL + "@main,nobody@main")
                .when()
                .get("/api/compare")
                .then()
                .statusCode(404)
                .body("error", containsString("nobody@main"));
    }

    @Test
    @Order(3)
    void comparePageShowsTheOverlapWithLinksToBothFailurePages() {
        Document doc = html("/ui/compare?benchmark=" + BENCHMARK + "&models=" + PAIR);
        assertThat(doc.select("#compare-models tbody tr")).hasSize(2);
        assertThat(doc.select("#compare-models .c-accuracy").eachText()).containsExactly("26.0 %", "62.0 %");
        assertThat(doc.select("#pair-0 .c-both").text()).isEqualTo("32");
        assertThat(doc.select("#pair-0 .c-fixed").text()).isEqualTo("42");
        assertThat(doc.select("#pair-0 .c-broken").text()).isEqualTo("6");
        assertThat(doc.select("#similarity-measure").text()).contains("cosine").contains("characters");
        List<Element> both = doc.select("#pair-0 table.both tbody tr");
        assertThat(both).hasSize(32);
        for (Element row : both) {
            assertThat(row.select("a.side-first").attr("href"))
                    .startsWith("/ui/attributions/")
                    .endsWith("%23compare-main");
            assertThat(row.select("a.side-second").attr("href")).endsWith("%23compare-step0380");
        }
        assertThat(doc.select("#pair-0 table.fixed tbody tr")).hasSize(42);
        assertThat(doc.select("#pair-0 table.broken tbody tr")).hasSize(6);
        assertThat(doc.select("#compare-segments tbody tr").eachAttr("data-segment"))
                .contains("evidence", "query");
        assertThat(doc.select("#compare-segments tbody tr").first().select("td"))
                .hasSize(2);
        // one example on characters: both models' tokens over the shared text
        String chars = both.stream()
                .map(r -> r.select("th a").attr("href"))
                .filter(h -> !h.isEmpty())
                .findFirst()
                .orElseThrow();
        // RestAssured encodes the query itself: hand it the decoded link
        Document ex =
                html(java.net.URLDecoder.decode(chars.replace("#chars", ""), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(ex.select("#chars-first .tok")).isNotEmpty();
        assertThat(ex.select("#chars-second .tok")).isNotEmpty();
        assertThat(ex.select("#chars .note").text()).contains("spread evenly over its characters");
        // linked from the runs page and the model page
        assertThat(html("/ui").select("a#compare-link").attr("href")).isEqualTo("/ui/compare");
        Document model = html("/ui/models/" + MODEL + "?revision=step0380");
        Element row = model.select("#benchmarks-table tr[data-benchmark=" + BENCHMARK + "]")
                .first();
        assertThat(row).isNotNull();
        assertThat(row.select("a.compare").attr("href")).contains("/ui/compare?benchmark=" + BENCHMARK);
        assertThat(row.select(".c-accuracy").text()).isEqualTo("62.0 %");
        // a form without models
        assertThat(html("/ui/compare").select("#compare-form")).hasSize(1);
    }

    @Test
    @Order(4)
    void benchmarksOfOneRevisionGiveOneRowEach() {
        JsonPath r = given().queryParam("revision", "main")
                .when()
                .get("/api/models/" + MODEL + "/benchmarks")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        List<Map<String, Object>> rows = r.getList("");
        Map<String, Object> row = rows.stream()
                .filter(x -> BENCHMARK.equals(x.get("benchmark")))
                .findFirst()
                .orElseThrow();
        assertThat(row.get("events")).isEqualTo(100);
        assertThat(row.get("correct")).isEqualTo(26);
        assertThat(row.get("incorrect")).isEqualTo(74);
        @SuppressWarnings("unchecked")
        Map<String, Object> byStatus = (Map<String, Object>) row.get("by_status");
        long attributed = data.expected.values().stream()
                .filter(n -> n.get("status").asText().equals("ATTRIBUTED"))
                .count();
        assertThat(byStatus.get("ATTRIBUTED")).isEqualTo((int) attributed);
        assertThat(row.get("attributed")).isEqualTo((int) attributed);
        assertThat((String) row.get("top_wrong_segment")).isNotBlank();
        assertThat(((Number) row.get("concentration_top5")).doubleValue())
                .isGreaterThan(0.0)
                .isLessThanOrEqualTo(1.0);
        assertThat(row.get("runs")).isEqualTo(List.of(MODEL + "/main/" + BENCHMARK));
        given().queryParam("revision", "step9999")
                .when()
                .get("/api/models/" + MODEL + "/benchmarks")
                .then()
                .statusCode(404);
    }

    @Test
    @Order(5)
    void failuresScoredOnARevisionThatNeverAnsweredFeedTheComparison() {
        String body = "{\"source\":\"" + MODEL + "@main\",\"benchmark\":\"" + BENCHMARK + "\",\"target\":\"" + MODEL
                + "@step0100\"}";
        given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/api/compare/track")
                .then()
                .statusCode(202)
                .body("failures", equalTo(74))
                .body("queued", equalTo(74))
                .header("Location", containsString("/api/compare?benchmark="));
        // a second request queues nothing: each (target, example) is claimed once
        given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/api/compare/track")
                .then()
                .statusCode(202)
                .body("queued", equalTo(0))
                .body("skipped", equalTo(74));
        given().contentType(ContentType.JSON)
                .body("{\"source\":\"" + MODEL + "@main\",\"benchmark\":\"" + BENCHMARK + "\",\"target\":\"" + MODEL
                        + "@step9999\"}")
                .when()
                .post("/api/compare/track")
                .then()
                .statusCode(404);
        given().contentType(ContentType.JSON)
                .body("{\"source\":\"" + MODEL + "@main\"}")
                .when()
                .post("/api/compare/track")
                .then()
                .statusCode(400);
        await(() -> index.scored(MID, BENCHMARK).size() == 74, Duration.ofMinutes(5), "74 failures scored on step0100");
        for (var s : index.scored(MID, BENCHMARK).entrySet()) {
            JsonNode exp = data.expected.get(s.getKey());
            var t = s.getValue().result().target();
            // the same text in the same tokenizer: the same pair of tokens as main's result
            assertThat(t.wrong().id())
                    .as(s.getKey())
                    .isEqualTo(exp.get("wrong").get("id").asInt());
            assertThat(t.contrast().id())
                    .as(s.getKey())
                    .isEqualTo(exp.get("contrast").get("id").asInt());
            assertThat(s.getValue().result().status()).isEqualTo(AttributionStatus.ATTRIBUTED);
        }
        JsonPath r = given().queryParam("benchmark", BENCHMARK)
                .queryParam("models", MODEL + "@main," + MODEL + "@step0100")
                .when()
                .get("/api/compare")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(r.getInt("models[1].scored_from_other_model")).isEqualTo(74);
        assertThat(r.getInt("pairs[0].matched")).isEqualTo(74);
        assertThat(r.getInt("pairs[0].fixed")).isEqualTo(51);
        assertThat(r.getInt("pairs[0].both_failed")).isEqualTo(23);
        assertThat(r.getInt("pairs[0].same_pair")).isEqualTo(23);
        Document doc = html("/ui/compare?benchmark=" + BENCHMARK + "&models=" + MODEL + "@main," + MODEL + "@step0100");
        assertThat(doc.select("#pair-0 .c-fixed").text()).isEqualTo("51");
        assertThat(doc.select("#pair-0 table.both tbody tr span.side-second")
                        .first()
                        .attr("title"))
                .isEqualTo("scored from " + MODEL + "@main");
    }

    @Test
    @Order(6)
    void comparisonMetricsCarryBoundedModelAndBenchmarkLabels() {
        String scrape = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(scrape.lines()
                        .filter(l -> l.startsWith("faultline_compare_answers_total{")
                                && l.contains("model=\"" + MODEL + "@main\"")
                                && l.contains("benchmark=\"" + BENCHMARK + "\"")
                                && l.contains("verdict=\"CORRECT\"")))
                .hasSize(1);
        assertThat(scrape).contains("faultline_compare_segment_relevance_total{");
        assertThat(scrape).contains("faultline_compare_informative_total{");
    }

    static Document html(String path) {
        return Jsoup.parse(given().when()
                .get(path)
                .then()
                .statusCode(200)
                .contentType(containsString("text/html"))
                .extract()
                .asString());
    }
}
