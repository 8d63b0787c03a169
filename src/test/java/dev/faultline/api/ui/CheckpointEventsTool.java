package dev.faultline.api.ui;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.DType;
import dev.faultline.engine.GreedyDecoder;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.ModelLoader;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Not a test of behaviour but the generator of the web-view screenshot data (run only with
 * {@code -Dwebview.checkpoint-events=OUT.jsonl}): the tinystories-cloze prompts answered by every shared
 * tinystories-260k revision with the engine's own greedy decoding (prompt with BOS, up to 6 tokens, stop at a
 * special token, as CHECKPOINTS.md measures), written as v1 events with {@code model.step}, one run per revision.
 */
class CheckpointEventsTool {

    static final List<String> REVISIONS = List.of("main", "step0050", "step0100", "step0200", "step0380");

    @Test
    void writeCheckpointEvents() throws Exception {
        String out = System.getProperty("webview.checkpoint-events");
        Assumptions.assumeTrue(out != null, "generator only: give -Dwebview.checkpoint-events=OUT.jsonl");
        Path shared = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"));
        Path events = shared.resolve("data/tinystories-cloze/events.jsonl");
        Path modelDir = shared.resolve("models/tinystories-260k");
        Assumptions.assumeTrue(Files.exists(events) && Files.isDirectory(modelDir), "no shared cloze data/model");
        List<String> lines =
                Files.readAllLines(events).stream().filter(l -> !l.isBlank()).toList();
        Instant t0 = Instant.parse("2026-11-24T12:00:00Z");
        int written = 0;
        try (AttributionEngine engine = new AttributionEngine(4);
                BufferedWriter w = Files.newBufferedWriter(Path.of(out), StandardCharsets.UTF_8)) {
            for (int r = 0; r < REVISIONS.size(); r++) {
                String rev = REVISIONS.get(r);
                long step = rev.equals("main") ? 0 : Long.parseLong(rev.substring(4));
                try (LanguageModel model =
                        ModelLoader.load(rev.equals("main") ? modelDir : modelDir.resolve(rev), DType.FLOAT32, "cpu")) {
                    int correct = 0;
                    int sameAsBenchmark = 0;
                    for (int i = 0; i < lines.size(); i++) {
                        ObjectNode e = (ObjectNode) UiResults.JSON.readTree(lines.get(i));
                        String prompt = e.get("prompt").asText();
                        String output = GreedyDecoder.continuation(
                                model.tokenizer(), prompt, 6, ids -> engine.logitsAt(model, ids, -1));
                        if (rev.equals("main") && output.equals(e.get("output").asText())) {
                            sameAsBenchmark++;
                        }
                        String ref = e.get("references").get(0).asText();
                        String first = output.trim()
                                .split("\\s+")[0]
                                .replaceAll("[^A-Za-z0-9]", "")
                                .toLowerCase();
                        if (first.equals(ref.replaceAll("[^A-Za-z0-9]", "").toLowerCase())) {
                            correct++;
                        }
                        String id = e.get("event_id").asText();
                        e.put("event_id", "tinystories-260k/" + rev + "/" + id);
                        e.put("run_id", "tinystories-260k/" + rev + "/cloze");
                        ObjectNode m = e.putObject("model");
                        m.put("name", "tinystories-260k").put("revision", rev).put("step", step);
                        e.put("output", output);
                        e.putNull("correct");
                        e.put("produced_at", t0.plusSeconds(3600L * r + i).toString());
                        w.write(UiResults.JSON.writeValueAsString(e));
                        w.newLine();
                        written++;
                    }
                    System.out.printf(
                            "%s: %d/%d correct (engine greedy, float32)%s%n",
                            rev,
                            correct,
                            lines.size(),
                            rev.equals("main") ? "; outputs equal to the benchmark's: " + sameAsBenchmark : "");
                }
            }
        }
        System.out.println("wrote " + written + " events to " + out);
    }
}
