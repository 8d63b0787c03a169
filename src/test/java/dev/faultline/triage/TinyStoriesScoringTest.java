package dev.faultline.triage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Scores the shared TinyStories cloze events and compares every verdict with {@code expected.jsonl}. */
class TinyStoriesScoringTest {

    @Test
    void allVerdictsMatchTheExpectedOnes() throws IOException {
        String shared = System.getProperty("faultline.shared.dir");
        Path dir = shared == null ? null : Path.of(shared, "data", "tinystories-cloze");
        assumeTrue(
                dir != null && Files.isRegularFile(dir.resolve("events.jsonl")),
                "skipped: data/tinystories-cloze not present under faultline.shared.dir");
        ObjectMapper mapper = new ObjectMapper();
        Map<String, Boolean> expected = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve("expected.jsonl"))) {
            if (!line.isBlank()) {
                JsonNode n = mapper.readTree(line);
                expected.put(n.get("event_id").asText(), n.get("correct").asBoolean());
            }
        }
        AnswerScorer scorer = new AnswerScorer(ScoringMethod.NORMALIZED);
        List<String> lines = Files.readAllLines(dir.resolve("events.jsonl")).stream()
                .filter(l -> !l.isBlank())
                .toList();
        int checked = 0;
        for (String line : lines) {
            EvalOutput event = mapper.readValue(line, EvalOutput.class);
            ScoredEvent scored = scorer.score(event);
            assertThat(expected).containsKey(event.eventId());
            Verdict want = expected.get(event.eventId()) ? Verdict.CORRECT : Verdict.INCORRECT;
            assertThat(scored.verdict())
                    .as("%s: output %s", event.eventId(), event.output())
                    .isEqualTo(want);
            checked++;
        }
        assertThat(checked).isEqualTo(expected.size()).isEqualTo(100);
    }
}
