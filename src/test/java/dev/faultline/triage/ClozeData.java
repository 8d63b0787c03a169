package dev.faultline.triage;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.EvalOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The shared tinystories-cloze set (events and the reference implementation's expectations), or a skipped test. */
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

    public static Path modelDir() {
        return sharedDir().resolve("models/tinystories-260k");
    }
}
