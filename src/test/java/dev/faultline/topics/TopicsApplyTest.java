package dev.faultline.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** {@code topics apply} against a real single-node KRaft broker: creates with the declared settings, then is a no-op. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TopicsApplyTest {

    static EmbeddedKafkaBroker broker;
    static String bootstrap;
    static Admin admin;
    static final TopicsFile FILE = TopicsFile.load(Path.of(TopicsFile.DEFAULT_PATH));

    @BeforeAll
    static void startBroker() throws IOException {
        int port = freePort();
        broker = new EmbeddedKafkaBroker()
                .withNodeId(0)
                .withKafkaPort(port)
                .withControllerPort(freePort())
                .withDeleteLogDirsOnClose(true)
                .start();
        bootstrap = "localhost:" + port;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        admin = Admin.create(p);
    }

    @AfterAll
    static void stopBroker() {
        if (admin != null) {
            admin.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Order(1)
    void dryRunChangesNothingAndExitsOne() throws Exception {
        Result r = cli("apply", "--bootstrap", bootstrap, "--max-replicas", "1", "--dry-run");
        assertThat(r.code).as(r.all()).isEqualTo(1);
        assertThat(r.out).contains("CREATE");
        assertThat(admin.listTopics().names().get()).doesNotContainAnyElementsOf(FILE.names());
    }

    @Test
    @Order(2)
    void firstApplyCreatesEveryTopicWithDeclaredSettings() throws Exception {
        Result r = cli("apply", "--bootstrap", bootstrap, "--max-replicas", "1");
        assertThat(r.code).as(r.all()).isZero();
        assertThat(admin.listTopics().names().get()).containsAll(FILE.names());
        Map<String, TopicDescription> described =
                admin.describeTopics(FILE.names()).allTopicNames().get();
        Map<ConfigResource, Config> configs = admin.describeConfigs(FILE.names().stream()
                        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                        .toList())
                .all()
                .get();
        for (TopicSpec declared : FILE.topics()) {
            TopicSpec expected = declared.withMaxReplicas(1);
            TopicDescription d = described.get(declared.name());
            assertThat(d.partitions()).as(declared.name()).hasSize(declared.partitions());
            assertThat(d.partitions().get(0).replicas()).as(declared.name()).hasSize(1);
            Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, declared.name()));
            expected.config()
                    .forEach((k, v) -> assertThat(c.get(k).value())
                            .as(declared.name() + " " + k)
                            .isEqualTo(v));
        }
        Config results = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, "attribution.results"));
        assertThat(results.get("cleanup.policy").value()).isEqualTo("compact");
        assertThat(results.get("min.insync.replicas").value())
                .as("capped below --max-replicas")
                .isEqualTo("1");
    }

    @Test
    @Order(3)
    void secondApplyChangesNothing() throws Exception {
        Result r = cli("apply", "--bootstrap", bootstrap, "--max-replicas", "1");
        assertThat(r.code).as(r.all()).isZero();
        TopicsApplier.Report report = new TopicsApplier(admin).apply(capped(), false);
        assertThat(report.changed()).as(report.changes().toString()).isFalse();
        assertThat(report.of(TopicsApplier.Kind.IN_SYNC)).hasSize(FILE.topics().size());
    }

    @Test
    @Order(4)
    void configDriftIsSetBackAndUndeclaredOverridesAreOnlyReported() throws Exception {
        ConfigResource jobs = new ConfigResource(ConfigResource.Type.TOPIC, "attribution.jobs");
        admin.incrementalAlterConfigs(Map.of(
                        jobs,
                        List.of(
                                new AlterConfigOp(new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET),
                                new AlterConfigOp(new ConfigEntry("segment.ms", "7200000"), AlterConfigOp.OpType.SET))))
                .all()
                .get();
        awaitConfig(jobs, "retention.ms", "1000"); // the broker applies metadata changes asynchronously

        TopicsApplier.Report report = new TopicsApplier(admin).apply(capped(), false);

        assertThat(report.of(TopicsApplier.Kind.ALTER_CONFIG))
                .singleElement()
                .satisfies(c -> assertThat(c.detail()).isEqualTo("retention.ms: 1000 -> 259200000"));
        assertThat(report.of(TopicsApplier.Kind.UNDECLARED_OVERRIDE))
                .singleElement()
                .satisfies(c -> assertThat(c.detail()).isEqualTo("segment.ms=7200000"));
        awaitConfig(jobs, "retention.ms", "259200000"); // set back (the broker applies it asynchronously)
        Config after = admin.describeConfigs(List.of(jobs)).all().get().get(jobs);
        assertThat(after.get("segment.ms").value()).as("never removed").isEqualTo("7200000");
    }

    @Test
    @Order(5)
    void partitionDriftIsReportedNotChanged() throws Exception {
        List<TopicSpec> more = FILE.topics().stream()
                .map(t -> t.withMaxReplicas(1))
                .map(t -> t.name().equals("eval.outputs.dlq")
                        ? new TopicSpec(t.name(), t.description(), t.partitions() + 1, t.replicas(), t.config())
                        : t)
                .toList();
        Path f = java.nio.file.Files.createTempFile("topics", ".yaml");
        try {
            java.nio.file.Files.writeString(
                    f,
                    new com.fasterxml.jackson.databind.ObjectMapper(
                                    new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                            .writeValueAsString(Map.of("topics", more)));
            Result r = cli("apply", "--bootstrap", bootstrap, "--file", f.toString());
            assertThat(r.code).as(r.all()).isEqualTo(1);
            assertThat(r.out).containsPattern("eval.outputs.dlq\\s+PARTITIONS_DIFFER\\s+cluster 3, declared 4");
            assertThat(admin.describeTopics(Set.of("eval.outputs.dlq"))
                            .allTopicNames()
                            .get()
                            .get("eval.outputs.dlq")
                            .partitions())
                    .hasSize(3);
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    @Test
    void unreachableBrokerIsAKafkaErrorNotAHang() throws IOException {
        Result r = cli(
                "apply",
                "--bootstrap",
                "localhost:" + freePort(),
                "--command-config",
                writeProps("request.timeout.ms=2000\ndefault.api.timeout.ms=3000\n")
                        .toString());
        assertThat(r.code).as(r.all()).isEqualTo(3);
        assertThat(r.err).contains("Kafka error");
    }

    @Test
    void missingBootstrapIsAUsageError() {
        Result r = cli("apply", "--file", TopicsFile.DEFAULT_PATH);
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err).contains("--bootstrap");
    }

    private static void awaitConfig(ConfigResource r, String key, String value) throws Exception {
        org.awaitility.Awaitility.await(r + " " + key + " = " + value)
                .atMost(java.time.Duration.ofSeconds(10))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> value.equals(admin.describeConfigs(List.of(r))
                        .all()
                        .get()
                        .get(r)
                        .get(key)
                        .value()));
    }

    private static TopicsFile capped() {
        return new TopicsFile(
                FILE.topics().stream().map(t -> t.withMaxReplicas(1)).toList());
    }

    private static Path writeProps(String text) throws IOException {
        Path f = java.nio.file.Files.createTempFile("admin", ".properties");
        f.toFile().deleteOnExit();
        return java.nio.file.Files.writeString(f, text);
    }

    record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = TopicsCommand.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
