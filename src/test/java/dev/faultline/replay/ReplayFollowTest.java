package dev.faultline.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.engine.SharedFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replay --follow}: sample logs the real harness wrote (lm-eval-tinystories) appear in a watched folder one
 * task at a time while the follower runs; each is published once, stamped with the checkpoint its results file
 * names; a restarted follower publishes only what is new.
 */
class ReplayFollowTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A follower running on its own thread, printing events (--dry-run) into a buffer. */
    static final class Running implements AutoCloseable {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final AtomicInteger exit = new AtomicInteger(-1);
        final Thread thread;

        Running(Path dir) {
            PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
            PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
            thread = new Thread(() -> exit.set(
                    ReplayCommand.run(o, e, false, "--follow", dir.toString(), "--dry-run", "--poll-ms", "50")));
            thread.start();
        }

        synchronized List<JsonNode> events() throws Exception {
            List<JsonNode> events = new ArrayList<>();
            for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    events.add(JSON.readTree(line));
                }
            }
            return events;
        }

        void awaitEvents(Predicate<List<JsonNode>> done) throws Exception {
            for (int i = 0; i < 1200 && !done.test(events()); i++) {
                Thread.sleep(50);
            }
            assertThat(done.test(events()))
                    .as("events: %s; log: %s", events().size(), err)
                    .isTrue();
        }

        @Override
        public void close() throws Exception {
            thread.interrupt();
            thread.join(60_000);
        }
    }

    private static long lines(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).count();
    }

    /** Puts one harness file into the watched folder. */
    private static void write(Path from, Path folder) throws Exception {
        Files.createDirectories(folder);
        Files.copy(from, folder.resolve(from.getFileName()));
    }

    @Test
    void filesAppearingWhileFollowingArePublishedOnceAndARestartSkipsThem(@TempDir Path dir) throws Exception {
        Path logs = SharedFiles.require("data/lm-eval-tinystories/logs");
        Path step50 = logs.resolve("models__tinystories-260k__step0050");
        Path step100 = logs.resolve("models__tinystories-260k__step0100");
        List<Path> files50 = Files.list(step50).sorted().toList();
        Path results50 = files50.stream()
                .filter(p -> p.getFileName().toString().startsWith("results_"))
                .findFirst()
                .orElseThrow();
        Path gen50 = files50.stream()
                .filter(p -> p.getFileName().toString().contains("cloze_gen"))
                .findFirst()
                .orElseThrow();
        Path mc50 = files50.stream()
                .filter(p -> p.getFileName().toString().contains("cloze_mc"))
                .findFirst()
                .orElseThrow();
        Path out50 = dir.resolve(step50.getFileName());
        Map<String, Integer> seen = new HashMap<>();
        long first = lines(gen50);
        try (Running run = new Running(dir)) {
            write(results50, out50);
            write(gen50, out50);
            run.awaitEvents(ev -> ev.size() >= first);
            write(mc50, out50);
            long both = first + lines(mc50);
            run.awaitEvents(ev -> ev.size() >= both);
            Thread.sleep(300); // a few more scans: nothing is published again
            List<JsonNode> events = run.events();
            assertThat(events).hasSize((int) both);
            for (JsonNode e : events) {
                seen.merge(e.get("event_id").asText(), 1, Integer::sum);
                assertThat(e.get("model").get("name").asText()).isEqualTo("tinystories-260k");
                assertThat(e.get("model").get("revision").asText()).isEqualTo("step0050");
                assertThat(e.get("model").get("step").asLong()).isEqualTo(50);
            }
            assertThat(seen.values()).allMatch(n -> n == 1);
        }
        assertThat(Files.readAllLines(dir.resolve(LmEvalFollower.STATE_FILE))).hasSize(2);

        // a restart: the step0050 files are not sent again, a new checkpoint's are
        List<Path> files100 = Files.list(step100).sorted().toList();
        long expected = 0;
        try (Running run = new Running(dir)) {
            for (Path f : files100) {
                write(f, dir.resolve(step100.getFileName()));
                if (f.getFileName().toString().startsWith("samples_")) {
                    expected += lines(f);
                }
            }
            long all = expected;
            run.awaitEvents(ev -> ev.size() >= all);
            Thread.sleep(300);
            List<JsonNode> events = run.events();
            assertThat(events).hasSize((int) expected);
            assertThat(events)
                    .allMatch(e -> e.get("model").get("revision").asText().equals("step0100")
                            && e.get("model").get("step").asLong() == 100);
            assertThat(events).noneMatch(e -> seen.containsKey(e.get("event_id").asText()));
        }
    }

    @Test
    void checkpointComesFromTheResultsModelArgs() throws Exception {
        JsonNode local = JSON.readTree("{\"config\": {\"model_args\": {\"pretrained\": \"models/tinystories-260k/"
                + "step0050\", \"revision\": \"step0050\"}}, \"model_name\": \"models/tinystories-260k/step0050\"}");
        assertThat(LmEvalFollower.checkpointOf(local))
                .isEqualTo(new LmEvalFollower.Checkpoint("tinystories-260k", "step0050", 50L));
        JsonNode hub = JSON.readTree("{\"config\": {\"model_args\": \"pretrained=EleutherAI/pythia-160m,"
                + "revision=step143000,dtype=float32\"}}");
        assertThat(LmEvalFollower.checkpointOf(hub))
                .isEqualTo(new LmEvalFollower.Checkpoint("pythia-160m", "step143000", 143000L));
        assertThat(LmEvalFollower.checkpointOf(JSON.readTree("{\"model_name\": \"gpt2\"}")))
                .isEqualTo(new LmEvalFollower.Checkpoint("gpt2", null, null));
    }
}
