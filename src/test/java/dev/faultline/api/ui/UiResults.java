package dev.faultline.api.ui;

import static io.restassured.RestAssured.given;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import dev.faultline.embedded.LocalServicesResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Known results for the web-view tests, published as JSON on {@code attribution.results} with a plain Kafka producer,
 * so they reach the pages through the real read-model (RunIndex consumer, topic lookup).
 */
public final class UiResults {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCRIPT = "<script>alert(1)</script>";

    private UiResults() {}

    /**
     * An ATTRIBUTED failure whose prompt contains {@link #SCRIPT}: tokens {@code <s>} (special), "Once", " upon",
     * " <script>alert(1)</script>", " Tom", " had", " a", " ball", "." , "\n", " It", " belonged", " to", " Lily"
     * (answer); relevances have both signs, the special and first tokens carry large ones (attention sinks).
     */
    public static AttributionResult attributed(String eventId, String runId, String model, String revision, Long step) {
        String[] texts = {
            "<s>",
            "Once",
            " upon",
            " " + SCRIPT,
            " Tom",
            " had",
            " a",
            " ball",
            ".",
            "\n",
            " It",
            " belonged",
            " to",
            " Lily"
        };
        double[] rel = {5.0, 0.9, -0.2, 0.5, -1.0, 0.05, 0.0, 0.3, -0.1, 0.02, 0.1, -0.4, 0.6, 0.8};
        String[] segs = {
            null,
            "context",
            "context",
            "context",
            "evidence",
            "evidence",
            "evidence",
            "evidence",
            "evidence",
            "evidence",
            "query",
            "query",
            "query",
            "answer"
        };
        List<AttributionResult.Token> tokens = new ArrayList<>();
        int at = 0;
        for (int i = 0; i < texts.length; i++) {
            int len = i == 0 ? 0 : texts[i].length();
            tokens.add(new AttributionResult.Token(texts[i], 100 + i, at, at + len, rel[i], i == 0, segs[i]));
            at += len;
        }
        var target = new AttributionResult.Target(
                14, new AttributionResult.TokenRef(7, " Lily"), new AttributionResult.TokenRef(8, " Tom"), 3.25, 2);
        var segments = List.of(
                new AttributionResult.SegmentRelevance("context", 1.2, 1.4, -0.2, 3, 1.2 / 1.0),
                new AttributionResult.SegmentRelevance("evidence", -0.73, 0.37, -1.1, 6, -0.73),
                new AttributionResult.SegmentRelevance("query", 0.3, 0.7, -0.4, 3, 0.3),
                new AttributionResult.SegmentRelevance("answer", 0.8, 0.8, 0.0, 1, 0.8));
        var layers = List.of(
                new AttributionResult.LayerRelevance(0, 2.0, -1.0),
                new AttributionResult.LayerRelevance(1, 2.5, -0.8),
                new AttributionResult.LayerRelevance(2, 3.0, -0.5),
                new AttributionResult.LayerRelevance(3, 3.6, -0.35));
        var top = List.of(
                new AttributionResult.TopToken(7, " Lily", 9.5),
                new AttributionResult.TopToken(8, " Tom", 6.25),
                new AttributionResult.TopToken(9, " " + SCRIPT, 5.0));
        var b = builder(eventId, runId, model, revision, step, "10");
        b.exampleId = "ex/" + SCRIPT + "/" + eventId;
        b.status = AttributionStatus.ATTRIBUTED;
        b.verdict = Verdict.INCORRECT;
        b.target = target;
        b.tokens = tokens;
        b.topPositive = List.of(new AttributionResult.IndexedRelevance(1, 0.9));
        b.topNegative = List.of(new AttributionResult.IndexedRelevance(4, -1.0));
        b.segments = segments;
        b.layers = layers;
        b.conservation = new AttributionResult.Conservation(3.25, 2.51, 0.04, 0.7, 1e-7);
        b.faithfulness = new AttributionResult.FaithfulnessSummary(5, 0.2, 0.25, 0.1, false);
        b.topTokens = top;
        b.retokenizationMismatch = false;
        b.engine = new AttributionResult.Engine("attnlrp", "attnlrp", "float32", "cpu", "test");
        b.timingsMs = Map.of("forward", 1.0);
        return b.build();
    }

    /** A correct answer (no target). */
    static AttributionResult correct(String eventId, String runId, String model, String revision, Long step) {
        var b = builder(eventId, runId, model, revision, step, "09");
        b.status = AttributionStatus.CORRECT;
        b.verdict = Verdict.CORRECT;
        return b.build();
    }

    /** A failure skipped because Δℓ is small: pair, Δℓ, rank and reason but no heatmap. */
    static AttributionResult lowLogitDiff(
            String eventId, String runId, String model, String revision, Long step, double logitDiff) {
        var target = new AttributionResult.Target(
                9,
                new AttributionResult.TokenRef(11, " <b>Sue"),
                new AttributionResult.TokenRef(12, " Sam"),
                logitDiff,
                3);
        var b = builder(eventId, runId, model, revision, step, "11");
        b.status = AttributionStatus.LOW_LOGIT_DIFF;
        b.reason = "Δℓ " + logitDiff + " <= min-logit-diff 1.0 <i>";
        b.verdict = Verdict.INCORRECT;
        b.target = target;
        return b.build();
    }

    /**
     * A webview-bench result of {@code model@revision} whose example id is its event id, produced on the hour given
     * (2026-11-24) and attributed a second later.
     */
    private static AttributionResult.Builder builder(
            String eventId, String runId, String model, String revision, Long step, String hour) {
        var b = new AttributionResult.Builder()
                .identity(
                        eventId,
                        runId,
                        new EvalOutput.ModelRef(model, revision, step),
                        "webview-bench",
                        eventId,
                        "2026-11-24T" + hour + ":00:00Z");
        b.attributedAt = "2026-11-24T" + hour + ":00:01Z";
        return b;
    }

    /** Publishes results and waits until each is served by {@code GET /api/attributions/{id}}. */
    static void publish(AttributionResult... results) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (AttributionResult r : results) {
                producer.send(new ProducerRecord<>(Topics.ATTRIBUTION_RESULTS, r.eventId(), JSON.writeValueAsString(r)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
        for (AttributionResult r : results) {
            awaitServed(r.eventId());
        }
    }

    static void awaitServed(String eventId) {
        org.awaitility.Awaitility.await("result " + eventId + " served")
                .atMost(java.time.Duration.ofSeconds(30))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> given().when().get(Links.rawJson(eventId)).statusCode() == 200);
    }
}
