package dev.faultline.triage;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.contract.EvalOutput;
import dev.faultline.embedded.LocalServicesResource;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The shared tinystories-cloze set (events and the reference implementation's expectations), or a skipped test; and
 * a way to publish its events to the embedded broker under a test's own ids.
 */
public final class ClozeData {

    public static final ObjectMapper JSON = new ObjectMapper();

    public final Path dir;
    /** raw event lines in file order */
    public final List<String> eventLines;

    public final Map<String, EvalOutput> events = new LinkedHashMap<>();
    public final Map<String, JsonNode> expected = new LinkedHashMap<>();

    private ClozeData(Path dir) throws IOException {
        this.dir = dir;
        eventLines = Files.readAllLines(dir.resolve("events.jsonl")).stream()
                .filter(l -> !l.isBlank())
                .toList();
        for (String line : eventLines) {
            EvalOutput e = JSON.readValue(line, EvalOutput.class);
            events.put(e.eventId(), e);
        }
        for (String line : Files.readAllLines(dir.resolve("expected.jsonl"))) {
            if (!line.isBlank()) {
                JsonNode n = JSON.readTree(line);
                expected.put(n.get("event_id").asText(), n);
            }
        }
    }

    /** The shared folder, or a JUnit assumption failure naming what is missing. */
    public static Path sharedDir() {
        String shared = System.getProperty("faultline.shared.dir");
        assumeTrue(shared != null, "system property faultline.shared.dir is not set: skipping a test on shared data");
        Path p = Path.of(shared);
        assumeTrue(
                Files.isDirectory(p.resolve("data/tinystories-cloze"))
                        && Files.isDirectory(p.resolve("models/tinystories-260k")),
                "no " + p + "/data/tinystories-cloze or models/tinystories-260k: skipping");
        return p;
    }

    public static ClozeData load() {
        try {
            return new ClozeData(sharedDir().resolve("data/tinystories-cloze"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Publishes event lines to {@code eval.outputs} on the embedded broker, keyed by run, with {@code suffix} appended
     * to their event and run ids, so that test classes sharing the broker stay apart.
     */
    public static void publish(List<String> lines, String suffix) throws Exception {
        publish(lines, suffix, null);
    }

    /** As {@link #publish(List, String)}, the events also set under {@code benchmark} unless it is null. */
    public static void publish(List<String> lines, String suffix, String benchmark) throws Exception {
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (String line : lines) {
            ObjectNode n = (ObjectNode) JSON.readTree(line);
            n.put("event_id", n.get("event_id").asText() + suffix);
            n.put("run_id", n.get("run_id").asText() + suffix);
            if (benchmark != null) {
                n.put("benchmark", benchmark);
            }
            records.add(new ProducerRecord<>("eval.outputs", n.get("run_id").asText(), JSON.writeValueAsString(n)));
        }
        try (KafkaCompanion companion = new KafkaCompanion(LocalServicesResource.bootstrapServers())) {
            companion.produceStrings().fromRecords(records).awaitCompletion(Duration.ofSeconds(60));
        }
    }

    public static Path modelDir() {
        return sharedDir().resolve("models/tinystories-260k");
    }
}
