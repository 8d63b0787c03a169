package dev.faultline.api.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.compare.CompareIndex;
import dev.faultline.compare.ModelRev;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.pipeline.ModelRegistry;
import dev.faultline.triage.ClozeAnswers;
import dev.faultline.triage.ClozeData;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Not a test of behaviour but the maker of the compare page's screenshots (run only with
 * {@code -Dwebview.compare-screenshots=DIR} and chromium installed): TinyStories-260K {@code main} and {@code step0380}
 * on the cloze benchmark through the running service, then the compare page and the model page's benchmark table.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class CompareScreenshotsTool {

    @TestHTTPResource("/")
    URI root;

    @Inject
    CompareIndex index;

    @Inject
    ModelRegistry registry;

    @Inject
    AttributionEngine engine;

    @Test
    void screenshots() throws Exception {
        String dir = System.getProperty("webview.compare-screenshots");
        Assumptions.assumeTrue(dir != null, "generator only: give -Dwebview.compare-screenshots=DIR");
        Path chromium = Chromium.find().orElse(null);
        Assumptions.assumeTrue(chromium != null, "no chromium installed");
        ClozeData data = ClozeData.load();
        String model = "tinystories-260k";
        String benchmark = "tinystories-cloze";
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (String line : data.eventLines) {
            for (String rev : List.of("main", "step0380")) {
                ObjectNode n = (ObjectNode) UiResults.JSON.readTree(line);
                n.put("event_id", model + "/" + rev + "/" + n.get("event_id").asText());
                n.put("run_id", model + "/" + rev + "/cloze");
                n.putObject("model").put("name", model).put("revision", rev).put("step", rev.equals("main") ? 0 : 380);
                if (rev.equals("step0380")) {
                    n.put(
                            "output",
                            ClozeAnswers.answer(
                                    registry,
                                    engine,
                                    model,
                                    "step0380",
                                    n.get("prompt").asText()));
                }
                records.add(new ProducerRecord<>(
                        "eval.outputs", n.get("run_id").asText(), UiResults.JSON.writeValueAsString(n)));
            }
        }
        try (KafkaCompanion companion = new KafkaCompanion(LocalServicesResource.bootstrapServers())) {
            companion.produceStrings().fromRecords(records).awaitCompletion(Duration.ofSeconds(60));
        }
        Awaitility.await()
                .atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofSeconds(1))
                .until(() ->
                        index.entries(new ModelRev(model, "main"), benchmark).size() == 100
                                && index.entries(new ModelRev(model, "step0380"), benchmark)
                                                .size()
                                        == 100);
        Files.createDirectories(Path.of(dir));
        try (Chromium browser = Chromium.start(chromium, 1280, 1600)) {
            browser.navigate(root.resolve(
                            "/ui/compare?benchmark=" + benchmark + "&models=" + model + "@main," + model + "@step0380")
                    .toString());
            browser.waitFor("document.querySelectorAll('table.both tbody tr').length > 0", Duration.ofSeconds(30));
            browser.screenshot(Path.of(dir, "compare.png"));
            browser.navigate(
                    root.resolve("/ui/models/" + model + "?revision=step0380").toString());
            browser.waitFor("document.getElementById('benchmarks-table') !== null", Duration.ofSeconds(30));
            browser.evaluate("document.getElementById('benchmarks').scrollIntoView()");
            browser.screenshot(Path.of(dir, "model-benchmarks.png"));
        }
        assertThat(Path.of(dir, "compare.png")).exists();
    }
}
