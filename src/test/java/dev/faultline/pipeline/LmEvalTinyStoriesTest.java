package dev.faultline.pipeline;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.SharedFiles;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.replay.ReplayCommand;
import dev.faultline.tracking.TrackedFailure;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Acceptance of the lm-eval path on the real harness's own logs: every {@code samples_*.jsonl} of
 * {@code data/lm-eval-tinystories/logs} (lm-evaluation-harness 0.4.13 running TinyStories-260K at {@code main} and
 * its four fine-tuning checkpoints; 5 revisions × 2 tasks × 100 items = 1,000 events, 253 greedy-generation failures
 * and 209 multiple-choice failures) is published by {@code replay --format lm-eval --bootstrap} to
 * {@code eval.outputs} of a fresh service (its own profile: embedded broker and Redis of its own, models from the
 * fixtures), with no {@code --model}/{@code --revision}: each log's revision comes from its run's
 * {@code results_*.json}. Every failure is attributed (no scope limit). Then:
 * <ul>
 * <li>every event has exactly one result on {@code attribution.results};</li>
 * <li>each event's verdict is the log's own {@code exact_match}/{@code acc}, so the accuracy per revision and task
 * equals the harness's {@code results_*.json}, and the checkpoints page shows the same figures;</li>
 * <li>every failed generation decoded greedily ({@code do_sample: false} in the logged generation kwargs) has a
 * wrong/contrast pair with Δℓ ≥ 0 at the error position: the wrong token was the model's top choice there (251
 * failures; the other 2, at {@code step0050}, are empty generations, whose first token was a stop string the harness
 * cut, and are {@code NO_CONTRAST} with the reason);</li>
 * <li>{@code /ui/models/tinystories-260k} and {@code GET /api/models/tinystories-260k/revisions} list the five
 * revisions in training order, learnt from these logs alone.</li>
 * </ul>
 * The worker batches up to {@value #BATCH} jobs per pass, and the attributed failures' relevances equal one unbatched
 * pass each. Failure tracking is limited to the first 2 failures per task (re-attributed at later revisions in the
 * background, which {@code CheckpointTrackingTest} covers) to keep the suite's time.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
@TestProfile(LmEvalTinyStoriesTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LmEvalTinyStoriesTest {

    static final String MODEL = "tinystories-260k";
    static final List<String> REVISIONS = List.of("main", "step0050", "step0100", "step0200", "step0380");
    static final ObjectMapper JSON = new ObjectMapper();
    static final int BATCH = 8;

    @Inject
    AttributionEngine engine;

    @Inject
    ModelRegistry registry;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "faultline.models.dir",
                    SharedFiles.dir().resolve("models").toAbsolutePath().toString(),
                    "faultline.attribution.batch-size",
                    Integer.toString(BATCH),
                    "faultline.tracking.policy",
                    "first",
                    "faultline.tracking.max-per-benchmark",
                    "2");
        }
    }

    /** One log line: what the harness wrote about one item at one revision. */
    record Sample(
            String revision,
            String task,
            String exampleId,
            boolean correct,
            boolean generated,
            boolean greedy,
            String output) {}

    static Map<String, Sample> samples; // by revision + " " + example id
    static Map<String, Double> harnessAccuracy; // by revision + " " + task, from results_*.json
    static List<Path> files;
    static Map<String, List<AttributionResult>> byItem;
    static long passesDuringReplay;

    @BeforeAll
    static void readLogs() throws Exception {
        Path logs = SharedFiles.require("data/lm-eval-tinystories/logs");
        samples = new TreeMap<>();
        harnessAccuracy = new TreeMap<>();
        files = new ArrayList<>();
        List<Path> folders;
        try (Stream<Path> s = Files.list(logs)) {
            folders = s.filter(Files::isDirectory).sorted().toList();
        }
        for (Path folder : folders) {
            List<Path> inside;
            try (Stream<Path> s = Files.list(folder)) {
                inside = s.sorted().toList();
            }
            Path results = inside.stream()
                    .filter(p -> p.getFileName().toString().startsWith("results_"))
                    .findFirst()
                    .orElseThrow();
            JsonNode root = JSON.readTree(results.toFile());
            String revision = root.get("config").get("model_revision").asText();
            for (Path f : inside) {
                String name = f.getFileName().toString();
                if (!name.startsWith("samples_")) {
                    continue;
                }
                files.add(f);
                String task = name.replaceFirst("^samples_(.+)_\\d{4}-.*$", "$1");
                JsonNode metrics = root.get("results").get(task);
                harnessAccuracy.put(
                        revision + " " + task,
                        metrics.has("exact_match,first_word")
                                ? metrics.get("exact_match,first_word").asDouble()
                                : metrics.get("acc,none").asDouble());
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode n = JSON.readTree(line);
                    String metric = n.get("metrics").get(0).asText();
                    JsonNode kwargs = n.get("arguments").get("gen_args_0").get("arg_1");
                    boolean generated = kwargs.isObject();
                    boolean greedy = generated
                            && (kwargs.path("do_sample").isBoolean()
                                            && !kwargs.get("do_sample").asBoolean()
                                    || kwargs.has("temperature")
                                            && kwargs.get("temperature").asDouble() == 0.0);
                    String exampleId = task + "/" + n.get("doc_id").asText();
                    samples.put(
                            revision + " " + exampleId,
                            new Sample(
                                    revision,
                                    task,
                                    exampleId,
                                    n.get(metric).asDouble() == 1.0,
                                    generated,
                                    greedy,
                                    generated ? n.get("resps").get(0).get(0).asText() : null));
                }
            }
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(10); // the fixtures' copy: 2 tasks at 5 revisions
        assertThat(samples).hasSizeGreaterThanOrEqualTo(1000); // the fixtures' copy: 1,000
    }

    @Test
    @Order(1)
    void everyLoggedItemGetsExactlyOneResult() throws Exception {
        List<String> args = new ArrayList<>(files.stream().map(Path::toString).toList());
        args.addAll(List.of("--format", "lm-eval", "--bootstrap", LocalServicesResource.bootstrapServers()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long passesBefore = engine.passes();
        int rc = ReplayCommand.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false,
                args.toArray(String[]::new));
        assertThat(rc).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("replay: " + samples.size() + " events sent to kafka");

        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntil(
                    rs -> rs.stream()
                                    .filter(LmEvalTinyStoriesTest::mine)
                                    .map(AttributionResult::eventId)
                                    .distinct()
                                    .count()
                            >= samples.size(),
                    Duration.ofSeconds(60 + samples.size() / 4));
            topic.pollUntil(rs -> false, Duration.ofSeconds(2)); // a second result would arrive within it
            byItem = topic.results.stream()
                    .filter(LmEvalTinyStoriesTest::mine)
                    .collect(Collectors.groupingBy(r -> r.model().revision() + " " + r.exampleId()));
        }
        passesDuringReplay = engine.passes() - passesBefore;
        assertThat(byItem.keySet()).containsExactlyInAnyOrderElementsOf(samples.keySet());
        byItem.forEach((item, rs) -> assertThat(rs).as(item).hasSize(1));
        assertThat(byItem.values().stream().map(rs -> rs.get(0).eventId()).distinct())
                .hasSize(samples.size());
        for (AttributionResult r : results()) {
            assertThat(r.model().name()).isEqualTo(MODEL);
            assertThat(r.runId()).isEqualTo(MODEL + "/" + r.model().revision() + "/" + r.benchmark());
        }
    }

    @Test
    @Order(2)
    void accuracyPerRevisionAndTaskIsTheHarnesss() {
        Map<String, int[]> counts = new TreeMap<>(); // revision task -> correct, all
        for (Sample s : samples.values()) {
            AttributionResult r = byItem.get(s.revision() + " " + s.exampleId()).get(0);
            assertThat(r.verdict())
                    .as(s.revision() + " " + s.exampleId())
                    .isEqualTo(s.correct() ? Verdict.CORRECT : Verdict.INCORRECT);
            int[] c = counts.computeIfAbsent(s.revision() + " " + s.task(), k -> new int[2]);
            c[0] += r.verdict() == Verdict.CORRECT ? 1 : 0;
            c[1]++;
        }
        assertThat(counts.keySet()).isEqualTo(harnessAccuracy.keySet());
        counts.forEach((key, c) -> assertThat((double) c[0] / c[1]).as(key).isEqualTo(harnessAccuracy.get(key)));
        // the README's figures, as a check that the logs were read whole
        assertThat(counts.get("main tinystories_cloze_gen")).containsExactly(26, 100);
        assertThat(counts.get("step0380 tinystories_cloze_mc")).containsExactly(68, 100);
    }

    @Test
    @Order(3)
    void greedyGenerationFailuresHaveTheWrongTokenAsTheModelsTopChoice() {
        int checked = 0;
        int empty = 0;
        for (Sample s : samples.values()) {
            if (!s.generated() || !s.greedy() || s.correct()) {
                continue;
            }
            AttributionResult r = byItem.get(s.revision() + " " + s.exampleId()).get(0);
            String item = s.revision() + " " + s.exampleId() + " output '" + s.output() + "': " + r.status() + " "
                    + r.reason();
            if (s.output().isEmpty()) {
                // the first token was a stop string, which the harness cut: no token of the model's is left to blame
                assertThat(r.status()).as(item).isEqualTo(AttributionStatus.NO_CONTRAST);
                assertThat(r.reason()).as(item).isNotBlank();
                empty++;
                continue;
            }
            assertThat(r.target()).as(item).isNotNull();
            assertThat(r.target().logitDiff())
                    .as(item + " wrong '" + r.target().wrong().text() + "' contrast '"
                            + r.target().contrast().text() + "'")
                    .isGreaterThanOrEqualTo(0.0);
            // the error position is inside the model's own words, which start with the space the decoding dropped
            assertThat((" " + s.output()).toLowerCase(Locale.ROOT))
                    .as(item)
                    .contains(r.target().wrong().text().toLowerCase(Locale.ROOT));
            checked++;
        }
        long failures = samples.values().stream()
                .filter(s -> s.generated() && s.greedy() && !s.correct())
                .count();
        long emptyInLogs = samples.values().stream()
                .filter(s -> s.generated() && !s.correct() && s.output().isEmpty())
                .count();
        assertThat(checked + empty).isEqualTo(failures);
        assertThat(empty).isEqualTo(emptyInLogs);
        if (samples.size() == 1000) { // the fixtures' copy
            assertThat(checked).isEqualTo(251);
            assertThat(empty).as("step0050's two empty generations").isEqualTo(2);
        }
    }

    @Test
    @Order(4)
    void checkpointsPageAndApiShowTheFiveRevisionsOfTheLogs() {
        Map<String, Integer> events = new HashMap<>();
        samples.values().forEach(s -> events.merge(s.revision(), 1, Integer::sum));
        Document page = org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> html("/ui/models/" + MODEL),
                        d -> REVISIONS.stream().allMatch(rev -> {
                            Element row = d.selectFirst("#checkpoints tr[data-revision=" + rev + "]");
                            return row != null
                                    && row.select("td")
                                            .get(1)
                                            .text()
                                            .equals(events.get(rev).toString());
                        }));
        assertThat(page.select("#checkpoints tbody tr").eachAttr("data-revision"))
                .containsExactlyElementsOf(REVISIONS);
        for (String rev : REVISIONS) {
            Element row = page.selectFirst("#checkpoints tr[data-revision=" + rev + "]");
            assertThat(row.select("td").get(0).text())
                    .as(rev)
                    .isEqualTo(rev.equals("main") ? "" : Long.toString(Long.parseLong(rev.substring(4))));
            assertThat(row.select("a.rev-runs").eachAttr("title"))
                    .as(rev)
                    .containsExactlyInAnyOrderElementsOf(tasks().stream()
                            .map(task -> "run " + MODEL + "/" + rev + "/" + task)
                            .toList());
        }
        for (String task : tasks()) {
            Document filtered = html("/ui/models/" + MODEL + "?benchmark=" + task);
            assertThat(filtered.select("#checkpoints tbody tr").eachAttr("data-revision"))
                    .containsExactlyElementsOf(REVISIONS);
            for (String rev : REVISIONS) {
                List<String> cells =
                        filtered.selectFirst("#checkpoints tr[data-revision=" + rev + "]").select("td").stream()
                                .map(Element::text)
                                .toList();
                assertThat(cells.get(1))
                        .isEqualTo(Long.toString(samples.values().stream()
                                .filter(s ->
                                        s.revision().equals(rev) && s.task().equals(task))
                                .count()));
                assertThat(cells.get(2))
                        .as(rev + " " + task)
                        .isEqualTo(String.format(Locale.ROOT, "%.1f %%", 100 * harnessAccuracy.get(rev + " " + task)));
            }
        }
        JsonNode revisions = given().when()
                .get("/api/models/" + MODEL + "/revisions")
                .then()
                .statusCode(200)
                .extract()
                .as(JsonNode.class);
        List<String> names = new ArrayList<>();
        List<String> steps = new ArrayList<>();
        revisions.forEach(r -> {
            names.add(r.get("name").asText());
            steps.add(
                    r.path("step").isNull() || r.path("step").isMissingNode()
                            ? "-"
                            : r.get("step").asText());
        });
        assertThat(names).containsExactlyElementsOf(REVISIONS);
        assertThat(steps).containsExactly("-", "50", "100", "200", "380");
    }

    /**
     * The worker ran with batches of up to {@value #BATCH} jobs: fewer engine passes than attributions (a batch counts
     * once; the few re-attributions of tracked failures count too), and every attributed failure's relevances and Δℓ
     * equal one unbatched pass over the same ids within 1e-4 of the largest |relevance| (float32).
     */
    @Test
    @Order(5)
    void batchedAttributionsEqualOnePassEach() {
        List<AttributionResult> attributed = results().stream()
                .filter(r -> r.status() == AttributionStatus.ATTRIBUTED)
                .toList();
        assertThat(attributed).hasSizeGreaterThan(100);
        assertThat(passesDuringReplay).as(attributed.size() + " attributions").isLessThan(attributed.size());
        engine.batchUpTo(1); // one pass per call, as a worker with batch-size 1 runs them
        try {
            for (String rev : REVISIONS) {
                try (ModelRegistry.Lease lease = registry.lease(MODEL, rev)) {
                    LanguageModel model = lease.model();
                    for (AttributionResult r : attributed) {
                        if (!r.model().revision().equals(rev)) {
                            continue;
                        }
                        TrackedFailure f = TrackedFailure.of(r);
                        Attribution one = engine.attribute(
                                model,
                                AttributionRequest.unchecked(
                                        f.inputIds(),
                                        f.position(),
                                        f.wrong(),
                                        f.contrast(),
                                        Method.ATTNLRP,
                                        SoftmaxRule.ATTNLRP));
                        double max = 0;
                        for (double v : one.inputRelevance()) {
                            max = Math.max(max, Math.abs(v));
                        }
                        assertThat(r.tokens()).as(r.eventId()).hasSize(one.inputRelevance().length);
                        for (int i = 0; i < one.inputRelevance().length; i++) {
                            assertThat(r.tokens().get(i).relevance())
                                    .as(r.eventId() + " token " + i)
                                    .isCloseTo(one.inputRelevance()[i], within(1e-4 * max));
                        }
                        assertThat(r.target().logitDiff())
                                .as(r.eventId())
                                .isCloseTo(one.logitDiff(), within(1e-4 * Math.max(1, Math.abs(one.logitDiff()))));
                    }
                }
            }
        } finally {
            engine.batchUpTo(BATCH);
        }
    }

    static Document html(String path) {
        return Jsoup.parse(
                given().when().get(path).then().statusCode(200).extract().asString());
    }

    static boolean mine(AttributionResult r) {
        return r.model() != null
                && MODEL.equals(r.model().name())
                && r.benchmark() != null
                && r.benchmark().startsWith("tinystories_cloze_");
    }

    static List<String> tasks() {
        return samples.values().stream().map(Sample::task).distinct().sorted().toList();
    }

    static List<AttributionResult> results() {
        return byItem.values().stream().map(rs -> rs.get(0)).toList();
    }
}
