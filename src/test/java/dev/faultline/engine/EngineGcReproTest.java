package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Regression test for an engine defect found by the tracking work: while another thread submits passes and
 * calls {@code System.gc()}, attributions came back with the right Δℓ but wrong input relevance. Root cause: DJL's
 * {@code NDArray.mul(Number)} wraps the scalar in a tensor over a Java direct buffer and closes it at once, while
 * autograd keeps that tensor for the backward pass; a GC between forward and backward freed the buffer (fixed by
 * {@code Pass.scale}/{@code Pass.constant}; unit-level check: {@code arch.PassGcTest}). A third thread collects
 * garbage continuously to make a regression show on most passes. Needs the shared TinyStories-260K model.
 */
class EngineGcReproTest {

    static int[] ids(JsonNode a) {
        int[] o = new int[a.size()];
        for (int i = 0; i < o.length; i++) {
            o[i] = a.get(i).asInt();
        }
        return o;
    }

    static AttributionRequest request(JsonNode n, int k) {
        return new AttributionRequest(
                ids(n.get("oracle_ids")),
                n.get("error").get("oracle_position").asInt(),
                n.get("wrong").get("id").asInt(),
                n.get("contrast").get("id").asInt(),
                Method.ATTNLRP,
                SoftmaxRule.ATTNLRP,
                k,
                0L,
                0.0,
                k == 0 ? 1 : 10);
    }

    @Test
    void relevanceStaysRightWhenTheJvmCollectsGarbageDuringPasses() throws Exception {
        var dir = SharedFiles.require("models/tinystories-260k");
        ObjectMapper om = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String l : Files.readAllLines(SharedFiles.require("data/tinystories-cloze/expected.jsonl"))) {
            if (!l.isBlank()) {
                JsonNode n = om.readTree(l);
                String st = n.get("status").asText();
                if (st.equals("ATTRIBUTED") || st.equals("LOW_LOGIT_DIFF")) {
                    rows.add(n);
                }
            }
        }
        List<String> bad = new ArrayList<>();
        try (AttributionEngine engine = new AttributionEngine(8);
                LanguageModel m = ModelLoader.load(dir, DType.FLOAT32, "cpu")) {
            Thread other = new Thread(() -> {
                for (int rep = 0; rep < 1; rep++) {
                    for (JsonNode n : rows) {
                        engine.attribute(m, request(n, 0));
                        System.gc();
                    }
                }
            });
            AtomicBoolean done = new AtomicBoolean();
            Thread collector = new Thread(() -> {
                while (!done.get()) {
                    long t0 = System.nanoTime();
                    System.gc();
                    // at least 5 ms apart, and never more than half the time in collections: in a JVM whose heap
                    // earlier tests filled, one full collection takes ~0.5 s and back-to-back ones starve the passes
                    long pause = Math.max(5, (System.nanoTime() - t0) / 1_000_000);
                    try {
                        Thread.sleep(pause);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            collector.setDaemon(true); // never outlives the test, even when a pass throws
            other.start();
            collector.start();
            try {
                for (JsonNode n : rows) {
                    Attribution a = engine.attribute(m, request(n, 5));
                    JsonNode rel = n.get("input_relevance");
                    double max = 0;
                    double err = 0;
                    for (int i = 1; i < rel.size(); i++) {
                        max = Math.max(max, Math.abs(rel.get(i).asDouble()));
                    }
                    for (int i = 0; i < rel.size(); i++) {
                        err = Math.max(err, Math.abs(rel.get(i).asDouble() - a.inputRelevance()[i]));
                    }
                    if (err > 1e-2 * max) {
                        bad.add(n.get("event_id").asText() + " err " + err + " residual " + a.identityResidual());
                    }
                }
                other.join();
            } finally {
                done.set(true);
                collector.join();
            }
        }
        assertThat(bad).isEmpty();
    }
}
