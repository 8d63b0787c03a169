package dev.faultline.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.faultline.embedded.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Two gsm8k docs in the current (0.4.7+) format, doc 0 with both filters; line 3 is broken, line 5 has no doc_id. */
    private static final String CURRENT_GSM8K = String.join(
            "\n",
            "{\"doc_id\": 0, \"doc\": {\"question\": \"Tom has 3 apples and buys 15 more. How many?\", \"answer\": \"3+15=18\\n#### 18\"}, "
                    + "\"target\": \"3+15=18\\n#### 18\", \"arguments\": {\"gen_args_0\": {\"arg_0\": \"Question: Tom has 3 apples and buys 15 more. How many?\\nAnswer:\", "
                    + "\"arg_1\": {\"until\": [\"Question:\"], \"do_sample\": false}}}, \"resps\": [[\"He has 3+15=18 apples.\\n#### 18\"]], "
                    + "\"filtered_resps\": [\"18\"], \"filter\": \"strict-match\", \"metrics\": [\"exact_match\"], "
                    + "\"doc_hash\": \"a\", \"prompt_hash\": \"b\", \"target_hash\": \"c\", \"exact_match\": 1.0}",
            "{\"doc_id\": 0, \"doc\": {\"question\": \"Tom has 3 apples and buys 15 more. How many?\", \"answer\": \"3+15=18\\n#### 18\"}, "
                    + "\"target\": \"3+15=18\\n#### 18\", \"arguments\": {\"gen_args_0\": {\"arg_0\": \"Question: Tom has 3 apples and buys 15 more. How many?\\nAnswer:\", "
                    + "\"arg_1\": {\"until\": [\"Question:\"], \"do_sample\": false}}}, \"resps\": [[\"He has 3+15=18 apples.\\n#### 18\"]], "
                    + "\"filtered_resps\": [\"15\"], \"filter\": \"flexible-extract\", \"metrics\": [\"exact_match\"], "
                    + "\"doc_hash\": \"a\", \"prompt_hash\": \"b\", \"target_hash\": \"c\", \"exact_match\": 0.0}",
            "{\"doc_id\": 1, \"doc\": {broken",
            "{\"doc_id\": 1, \"doc\": {\"question\": \"What is 2 times 21?\", \"answer\": \"#### 42\"}, "
                    + "\"target\": \"#### 42\", \"arguments\": {\"gen_args_0\": {\"arg_0\": [\"[{\\\"role\\\": \\\"user\\\", \\\"content\\\": \\\"Question: What is 2 times 21?\\\\nAnswer:\\\", \\\"type\\\": \\\"text\\\"}]\"], "
                    + "\"arg_1\": {\"until\": [\"Question:\"]}}}, \"resps\": [[\"2*21=40\\n#### 40\"]], "
                    + "\"filtered_resps\": [\"40\"], \"filter\": \"strict-match\", \"metrics\": [\"exact_match\"], "
                    + "\"doc_hash\": \"d\", \"prompt_hash\": \"e\", \"target_hash\": \"f\", \"exact_match\": 0.0}",
            "{\"doc\": {}, \"target\": \"#### 1\", \"arguments\": {}, \"resps\": [], \"filtered_resps\": []}");

    /** Two multiple-choice docs as lm-eval 0.4.0-0.4.2 wrote them: one pretty-printed JSON array, native values. */
    private static final String OLD_ARRAY = """
            [
              {
                "doc_id": 0,
                "doc": {"question": "Sky colour?", "choices": ["green", "blue"], "label": 1},
                "target": 1,
                "arguments": [["Q: Sky colour?\\nA:", " green"], ["Q: Sky colour?\\nA:", " blue"]],
                "resps": [[[-3.5, false]], [[-0.5, true]]],
                "filtered_resps": [[-3.5, false], [-0.5, true]],
                "acc": 1.0,
                "acc_norm": 1.0
              },
              {
                "doc_id": 1,
                "doc": {"question": "Grass colour?", "choices": ["green", "blue"], "label": 0},
                "target": 0,
                "arguments": [["Q: Grass colour?\\nA:", " green"], ["Q: Grass colour?\\nA:", " blue"]],
                "resps": [[[-2.25, false]], [[-1.0, true]]],
                "filtered_resps": [[-2.25, false], [-1.0, true]],
                "acc": 0.0,
                "acc_norm": 0.0
              }
            ]""";

    private record Run(int exitCode, String out, String err) {}

    private static Run replay(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ReplayCommand.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                true,
                args);
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * A revision sweep over a hub model: every run's files land in one folder ({@code pretrained} sanitized), told
     * apart by the time stamp that a run's samples and results files share. Without flags each log is stamped with its
     * own run's model_args; flags given win, and the log fills in only what they leave open.
     */
    @Test
    void lmEvalFilesAreStampedWithTheirOwnRunsModelArgs(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("EleutherAI__pythia-70m"));
        String good =
                CURRENT_GSM8K.lines().limit(2).reduce((a, b) -> a + "\n" + b).orElseThrow() + "\n";
        String[] stamps = {"2026-11-01T10-00-00.000001", "2026-11-02T09-00-00.000002"};
        String[] revisions = {"step1000", "step2000"};
        List<String> files = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path samples = folder.resolve("samples_gsm8k_" + stamps[i] + ".jsonl");
            Files.writeString(samples, good);
            Files.writeString(
                    folder.resolve("results_" + stamps[i] + ".json"),
                    "{\"config\": {\"model_args\": "
                            + "\"pretrained=EleutherAI/pythia-70m,revision=" + revisions[i] + ",dtype=float32\"}, "
                            + "\"model_name\": \"EleutherAI/pythia-70m\"}");
            files.add(samples.toString());
        }
        List<String> args = new ArrayList<>(files);
        args.addAll(List.of("--dry-run", "--format", "lm-eval"));
        Run own = replay(args.toArray(String[]::new));
        assertThat(own.exitCode()).as(own.err()).isZero();
        List<JsonNode> events = new ArrayList<>();
        for (String line : own.out().split("\n")) {
            events.add(JSON.readTree(line));
        }
        assertThat(events)
                .extracting(e -> e.get("model").get("name").asText() + "@"
                        + e.get("model").get("revision").asText() + "#"
                        + e.get("model").get("step").asLong())
                .containsExactly(
                        "pythia-70m@step1000#1000",
                        "pythia-70m@step1000#1000",
                        "pythia-70m@step2000#2000",
                        "pythia-70m@step2000#2000");
        assertThat(events.get(0).get("run_id").asText()).isEqualTo("pythia-70m/step1000/gsm8k");

        args.addAll(List.of("--model", "my-pythia"));
        Run named = replay(args.toArray(String[]::new));
        assertThat(named.out()
                        .lines()
                        .map(l -> {
                            try {
                                JsonNode m = JSON.readTree(l).get("model");
                                return m.get("name").asText() + "@"
                                        + m.get("revision").asText();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        })
                        .distinct())
                .containsExactly("my-pythia@step1000", "my-pythia@step2000");
    }

    @Test
    void lmEvalFilePostedToTheServiceGivesOneEventPerDocAndFilterAndSkipsBadLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("samples_gsm8k_2026-11-01T10-00-00.000001.jsonl");
        Files.writeString(file, CURRENT_GSM8K);
        List<JsonNode> posted = Collections.synchronizedList(new ArrayList<>());
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/events", exchange -> {
            posted.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
            byte[] body = "{\"event_id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(202, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            Run run = replay(
                    file.toString(),
                    "--url",
                    "http://127.0.0.1:" + server.getAddress().getPort(),
                    "--format",
                    "lm-eval",
                    "--model",
                    "llama-3-8b",
                    "--revision",
                    "step1000",
                    "--rate",
                    "200/s");
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err())
                    .contains(file + ":3: skipped: invalid JSON")
                    .contains(file + ":5: skipped: missing doc_id")
                    .contains("2 bad record(s) skipped")
                    .contains("3/3 sent, 2 bad"); // the progress bar
            assertThat(run.out())
                    .contains("3 events sent to POST http://127.0.0.1:")
                    .contains("3 events (1 correct, 2 incorrect, 0 unscored), 2 bad");
        } finally {
            server.stop(0);
        }
        assertThat(posted)
                .extracting(e -> e.get("event_id").asText())
                .containsExactly(
                        "llama-3-8b/step1000/gsm8k:gsm8k/0/strict-match",
                        "llama-3-8b/step1000/gsm8k:gsm8k/0/flexible-extract",
                        "llama-3-8b/step1000/gsm8k:gsm8k/1/strict-match");
        assertThat(posted).extracting(e -> e.get("correct").asBoolean()).containsExactly(true, false, false);
        // the whole generation is the output, each filter's pick its extracted answer
        assertThat(posted).extracting(e -> e.get("extracted_answer").asText()).containsExactly("18", "15", "40");
        assertThat(posted)
                .extracting(e -> e.get("output").asText())
                .containsExactly(
                        "He has 3+15=18 apples.\n#### 18", "He has 3+15=18 apples.\n#### 18", "2*21=40\n#### 40");
        assertThat(posted).extracting(e -> e.get("references").get(0).asText()).containsExactly("18", "18", "42");
        assertThat(posted)
                .allMatch(e -> e.get("schema").asText().equals("faultline.eval-output/v1")
                        && e.get("run_id").asText().equals("llama-3-8b/step1000/gsm8k")
                        && e.get("scoring").get("method").asText().equals("numeric")
                        && e.get("model").get("revision").asText().equals("step1000"));
        assertThat(posted.get(0).get("prompt").asText())
                .isEqualTo("Question: Tom has 3 apples and buys 15 more. How many?\nAnswer:");
        // the chat-message form of arg_0 is unwrapped to its content
        assertThat(posted.get(2).get("prompt").asText()).isEqualTo("Question: What is 2 times 21?\nAnswer:");
    }

    @Test
    void oldJsonArrayFileIsSniffedDespiteItsJsonlName(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pretrained=org__tiny-model_arc_easy.jsonl");
        Files.writeString(file, OLD_ARRAY);
        Run run = replay(file.toString(), "--dry-run", "--format", "lm-eval", "--run-id", "nightly-42");
        assertThat(run.exitCode()).isZero();
        List<JsonNode> events = run.out()
                .lines()
                .map(l -> {
                    try {
                        return JSON.readTree(l);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toList();
        assertThat(events).hasSize(2);
        assertThat(events)
                .extracting(e -> e.get("event_id").asText())
                .containsExactly("nightly-42:arc_easy/0/none", "nightly-42:arc_easy/1/none");
        assertThat(events).extracting(e -> e.get("output").asText()).containsExactly(" blue", " blue");
        assertThat(events).extracting(e -> e.get("references").get(0).asText()).containsExactly(" blue", " green");
        assertThat(events).extracting(e -> e.get("correct").asBoolean()).containsExactly(true, false);
        assertThat(events)
                .allMatch(e -> e.get("scoring").get("method").asText().equals("choice")
                        && e.get("prompt").asText().startsWith("Q: ")
                        && e.get("model").get("name").asText().equals("unknown"));
    }

    @Test
    void v1FileIsPublishedToKafkaKeyedByRunId(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("events.jsonl");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "{\"schema\":\"faultline.eval-output/v1\",\"event_id\":\"e1\",\"run_id\":\"r1\",\"model\":{\"name\":\"m\",\"revision\":\"a\"},"
                                + "\"benchmark\":\"b\",\"prompt\":\"1+1=\",\"output\":\"3\",\"references\":[\"2\"],\"correct\":false}",
                        "",
                        "{\"schema\":\"faultline.eval-output/v2\",\"event_id\":\"e2\",\"run_id\":\"r1\",\"prompt\":\"p\",\"output\":\"o\"}",
                        "{\"event_id\":\"e3\",\"run_id\":\"r2\",\"model\":{\"name\":\"m\"},\"prompt\":\"2+2=\",\"output\":\"4\"}",
                        "[1, 2]"));
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Run run = replay(file.toString(), "--bootstrap", kafka.bootstrapServers(), "--topic", "replay.test");
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err())
                    .contains(file + ":3: skipped: schema is faultline.eval-output/v2")
                    .contains(file + ":5: skipped: not a JSON object");
            assertThat(run.out()).contains("2 events sent to kafka " + kafka.bootstrapServers() + " topic replay.test");
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                    Map.of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                            ConsumerConfig.GROUP_ID_CONFIG, "replay-test",
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                    new StringDeserializer(),
                    new StringDeserializer())) {
                consumer.subscribe(List.of("replay.test"));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (records.size() < 2 && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                }
            }
            assertThat(records).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("r1", "r2");
            JsonNode e3 = JSON.readTree(records.stream()
                    .filter(r -> r.key().equals("r2"))
                    .findFirst()
                    .orElseThrow()
                    .value());
            assertThat(e3.get("schema").asText()).isEqualTo("faultline.eval-output/v1");
            assertThat(e3.get("event_id").asText()).isEqualTo("e3");
            assertThat(e3.get("produced_at").asText()).isNotBlank();
        }
    }

    @Test
    void unreachableServiceFailsWithExitCodeOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("events.jsonl");
        Files.writeString(
                file,
                "{\"event_id\":\"e\",\"run_id\":\"r\",\"model\":{\"name\":\"m\"},\"prompt\":\"p\",\"output\":\"o\"}\n");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run run = replay(file.toString(), "--url", "http://127.0.0.1:" + port);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("cannot post to http://127.0.0.1:" + port + "/api/events");
    }

    @Test
    void usageErrorsExitWithTwo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("x.jsonl");
        Files.writeString(file, "");
        assertThat(replay(file.toString()).exitCode()).isEqualTo(2); // no destination
        assertThat(replay(file.toString(), "--dry-run", "--url", "http://h:1").exitCode())
                .isEqualTo(2);
        assertThat(replay("--dry-run").exitCode()).isEqualTo(2); // no file
        assertThat(replay(dir.resolve("missing.jsonl").toString(), "--dry-run").exitCode())
                .isEqualTo(2);
        assertThat(replay(file.toString(), "--dry-run", "--format", "csv").exitCode())
                .isEqualTo(2);
        assertThat(replay(file.toString(), "--dry-run", "--rate", "fast").exitCode())
                .isEqualTo(2);
        assertThat(replay(file.toString(), "--bootstrap", "not a host").exitCode())
                .isEqualTo(2);
        assertThat(replay(file.toString(), "--url", "ftp://h").exitCode()).isEqualTo(2);
        Path config = dir.resolve("client.properties");
        Files.writeString(config, "security.protocol=SASL_SSL\n");
        Run configWithoutKafka = replay(file.toString(), "--url", "http://h:1", "--command-config", config.toString());
        assertThat(configWithoutKafka.exitCode()).isEqualTo(2);
        assertThat(configWithoutKafka.err()).contains("--command-config applies to --bootstrap only");
        Run missingConfig = replay(
                file.toString(),
                "--bootstrap",
                "h:9092",
                "--command-config",
                dir.resolve("missing.properties").toString());
        assertThat(missingConfig.exitCode()).isEqualTo(2);
        assertThat(missingConfig.err()).contains("cannot read --command-config");
        Run unknownTask = replay(file.toString(), "--dry-run", "--format", "lm-eval");
        assertThat(unknownTask.exitCode()).isEqualTo(1);
        assertThat(unknownTask.err()).contains("give --task");
    }
}
