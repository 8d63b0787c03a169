package dev.faultline.faults;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.faultline.api.AttributionResource;
import dev.faultline.channels.Topics;
import dev.faultline.cli.Commands;
import dev.faultline.cli.Terminal;
import dev.faultline.embedded.EmbeddedRedis;
import dev.faultline.fleet.RequestsLag;
import dev.faultline.replay.ReplayCommand;
import dev.faultline.store.ResultTopicReader;
import dev.faultline.topics.TopicSpec;
import dev.faultline.topics.TopicsCommand;
import dev.faultline.topics.TopicsFile;
import dev.faultline.tracking.Trajectory;
import dev.faultline.tracking.TrajectoryPublisher;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service against a broker that only speaks SASL_PLAINTEXT (PLAIN): the channels (events in, jobs, results), the
 * readiness check, {@code POST /api/events}, the REST fallback reader ({@link ResultTopicReader}), the requests-lag
 * gauge ({@link RequestsLag}), the trajectory topic check ({@link TrajectoryPublisher}) and
 * {@code replay --bootstrap --command-config} all authenticate with the one {@code kafka.*} configuration;
 * {@code topics apply --command-config} creates the topics before the service starts, as in a deployment. A client
 * without credentials, or with a wrong password, gets nothing.
 */
@QuarkusTest
@WithTestResource(SaslBrokerTest.Resources.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SaslBrokerTest {

    static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"faultline\" password=\"faultline-secret\";";
    static EmbeddedKafkaBroker broker;
    static EmbeddedRedis redis;
    static String bootstrap;
    static final TopicsFile TOPICS = TopicsFile.load(Path.of(TopicsFile.DEFAULT_PATH));
    /** The {@code topics apply} run before the service started, on the empty broker. */
    static Cli firstApply;

    record Cli(int code, String out, String err) {
        String all() {
            return "exit " + code + "\n" + out + err;
        }
    }

    /** {@code faultline topics} with {@code args} in the environment {@code env}, its exit code and output. */
    static Cli topics(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Commands.execute(
                TopicsCommand.class,
                new Terminal(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        false,
                        env),
                args);
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** {@code topics apply} of topics.yaml capped to the one broker, in {@code env}, with {@code more} options. */
    static Cli apply(Map<String, String> env, String... more) {
        List<String> args = new ArrayList<>(
                List.of("apply", "--bootstrap", bootstrap, "--file", TopicsFile.DEFAULT_PATH, "--max-replicas", "1"));
        args.addAll(List.of(more));
        return topics(env, args.toArray(String[]::new));
    }

    /** {@code topics apply} with {@code commandConfig}, in no Kafka environment. */
    static Cli apply(Path commandConfig) {
        return apply(Map.of(), "--command-config", commandConfig.toString());
    }

    /** After the header line, one IN_SYNC line per declared topic. */
    static void assertInSync(Cli run) {
        assertThat(run.out().lines().skip(1))
                .as(run.all())
                .hasSize(TOPICS.topics().size())
                .allSatisfy(line -> assertThat(line).contains(" IN_SYNC "));
    }

    /** A Kafka CLI {@code --command-config} file for the SASL listener, logging in with {@code password}. */
    static Path commandConfig(String password) {
        try {
            Path file = Files.createTempFile("sasl-client", ".properties");
            file.toFile().deleteOnExit();
            Files.writeString(
                    file,
                    "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
                            + JAAS.replace("faultline-secret", password) + "\n");
            return file;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static class Resources implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            int port = freePort();
            int internal = freePort();
            int controllerPort = freePort();
            bootstrap = "127.0.0.1:" + port;
            broker = new EmbeddedKafkaBroker()
                    .withNodeId(0)
                    .withKafkaHost("127.0.0.1")
                    .withKafkaPort(internal)
                    .withControllerPort(controllerPort)
                    .withDeleteLogDirsOnClose(true)
                    .withAdditionalProperties(p -> {
                        String controller = "CONTROLLER://127.0.0.1:" + controllerPort;
                        p.put(
                                "listeners",
                                "SASL_PLAINTEXT://127.0.0.1:" + port + ",INTERNAL://127.0.0.1:" + internal + ","
                                        + controller);
                        p.put(
                                "advertised.listeners",
                                "SASL_PLAINTEXT://127.0.0.1:" + port + ",INTERNAL://127.0.0.1:" + internal);
                        p.put(
                                "listener.security.protocol.map",
                                "SASL_PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
                        p.put("inter.broker.listener.name", "INTERNAL");
                        p.put("sasl.enabled.mechanisms", "PLAIN");
                        p.put(
                                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" "
                                        + "password=\"admin-secret\" user_admin=\"admin-secret\" "
                                        + "user_faultline=\"faultline-secret\";");
                        p.put("auto.create.topics.enable", "true");
                        p.put("group.initial.rebalance.delay.ms", "0");
                        p.put("message.max.bytes", "8388608");
                    })
                    .start();
            // topics as code, applied before the service starts (the tests below check what it did)
            firstApply = apply(commandConfig("faultline-secret"));
            redis = EmbeddedRedis.start();
            Map<String, String> c = new HashMap<>();
            c.put("kafka.bootstrap.servers", bootstrap);
            c.put("kafka.security.protocol", "SASL_PLAINTEXT");
            c.put("kafka.sasl.mechanism", "PLAIN");
            c.put("kafka.sasl.jaas.config", JAAS);
            c.put("quarkus.redis.hosts", redis.hosts());
            c.put("faultline.tracking.enabled", "false");
            return c;
        }

        @Override
        public void stop() {
            broker.close();
            redis.close();
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Properties sasl() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "PLAIN");
        p.put("sasl.jaas.config", JAAS);
        return p;
    }

    @Inject
    ResultTopicReader reader;

    @Inject
    RedisDataSource redisClient;

    @Inject
    RequestsLag requestsLag;

    @Inject
    TrajectoryPublisher trajectories;

    static String event(String id, String output, String model) {
        return "{\"schema\":\"faultline.eval-output/v1\",\"event_id\":\"" + id + "\",\"run_id\":\"sasl/run\","
                + "\"model\":{\"name\":\"" + model + "\",\"revision\":\"main\"},\"benchmark\":\"sasl\","
                + "\"prompt\":\"Q: 6*12? A:\",\"output\":\"" + output + "\",\"references\":[\"72\"],"
                + "\"scoring\":{\"method\":\"exact\"}}";
    }

    @Test
    @Order(1)
    void everyClientAuthenticatesWithTheOneKafkaConfiguration(@TempDir Path dir) throws Exception {
        // the broker refuses a client without credentials
        Properties plain = new Properties();
        plain.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        plain.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        plain.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        try (Admin admin = Admin.create(plain)) {
            assertThat(catchThrowable(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS)))
                    .isNotNull();
        }
        // readiness: the bounded Kafka check authenticates
        given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'Kafka broker' }.status", equalTo("UP"));
        // POST /api/events: the events producer; triage consumer, results producer: a CORRECT event's result
        given().contentType(ContentType.JSON)
                .body(event("sasl/posted", "72", "no-such-model"))
                .when()
                .post("/api/events")
                .then()
                .statusCode(202);
        // jobs out and in: an INCORRECT event goes through a job to the worker
        given().contentType(ContentType.JSON)
                .body(event("sasl/job", "71", "no-such-model"))
                .when()
                .post("/api/events")
                .then()
                .statusCode(202);
        // replay --bootstrap with --command-config
        Path file = dir.resolve("events.jsonl");
        Files.writeString(file, event("sasl/replayed", "72", "no-such-model") + "\n");
        Path config = dir.resolve("client.properties");
        Files.writeString(
                config, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=" + JAAS + "\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ReplayCommand.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false,
                file.toString(),
                "--bootstrap",
                bootstrap,
                "--command-config",
                config.toString());
        assertThat(rc).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("1 events sent to kafka " + bootstrap);

        Map<String, String> statuses =
                results(List.of("sasl/posted", "sasl/job", "sasl/replayed"), Duration.ofSeconds(90));
        assertThat(statuses)
                .containsEntry("sasl/posted", "CORRECT")
                .containsEntry("sasl/replayed", "CORRECT")
                .containsEntry("sasl/job", "MODEL_UNAVAILABLE");

        // the REST fallback reader: without the Redis link, the result is read from the topic. The result reached the
        // topic before its Redis link was written and before the index writer recorded its offset, so the link is
        // deleted on every try until a read comes from the topic.
        var fromTopic = org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300))
                .until(
                        () -> {
                            redisClient.key(String.class).del("faultline:event:sasl/replayed");
                            return given().when().get("/api/attributions/sasl/replayed");
                        },
                        r -> r.statusCode() == 200 && "topic".equals(r.header(AttributionResource.SOURCE_HEADER)));
        assertThat(fromTopic.jsonPath().getString("status")).isEqualTo("CORRECT");
        assertThat(reader.findSince("sasl/posted", 0))
                .get()
                .satisfies(r -> assertThat(r.eventId()).isEqualTo("sasl/posted"));
    }

    @Test
    @Order(2)
    void topicsApplyCreatesEveryTopicThenChangesNothing() throws Exception {
        assertThat(firstApply.code()).as(firstApply.all()).isZero();
        for (String name : TOPICS.names()) {
            assertThat(firstApply.out())
                    .as(firstApply.all())
                    .containsPattern("(?m)^" + name.replace(".", "\\.") + " +CREATE ");
        }
        try (Admin admin = Admin.create(sasl())) {
            Map<String, TopicDescription> described =
                    admin.describeTopics(TOPICS.names()).allTopicNames().get(30, TimeUnit.SECONDS);
            for (TopicSpec declared : TOPICS.topics()) {
                assertThat(described.get(declared.name()).partitions())
                        .as(declared.name())
                        .hasSize(declared.partitions());
            }
        }
        Cli second = apply(commandConfig("faultline-secret"));
        assertThat(second.code()).as(second.all()).isZero();
        assertInSync(second);
    }

    @Test
    @Order(3)
    void topicsApplyTakesTheSaslSettingsFromTheEnvironmentAsTheServiceDoes() {
        Cli run = apply(
                Map.of(
                        "KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                        "KAFKA_SASL_MECHANISM", "PLAIN",
                        "KAFKA_SASL_JAAS_CONFIG", JAAS),
                "--dry-run");
        assertThat(run.code()).as(run.all()).isZero();
        assertInSync(run);
    }

    @Test
    @Order(4)
    void topicsApplyWithAWrongPasswordFailsWithAKafkaError() {
        Cli wrong = assertTimeoutPreemptively(
                Duration.ofSeconds(90), () -> apply(commandConfig("not-the-password")), "topics apply hung");
        assertThat(wrong.code()).as(wrong.all()).isEqualTo(TopicsCommand.KAFKA_ERROR);
        assertThat(wrong.err()).as(wrong.all()).contains("topics: Kafka error").contains("Authentication failed");
        assertThat(wrong.out()).as(wrong.all()).doesNotContain("applied to");
    }

    @Test
    @Order(5)
    void requestsLagGaugeReadsTheBroker() throws Exception {
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> !Double.isNaN(requestsLag.lag()));
        // a refresh that fails (a timeout on a loaded machine) reads NaN until the next one: wait for a read that
        // agrees with an authenticated admin, and for a scrape that shows a number
        try (Admin admin = Admin.create(sasl())) {
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> assertThat(requestsLag.lag()).isEqualTo((double)
                            RequestsLag.lag(admin, RequestsLag.GROUP, Topics.ATTRIBUTION_REQUESTS, 10_000)));
        }
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(given().when()
                                .get("/q/metrics")
                                .then()
                                .statusCode(200)
                                .extract()
                                .asString())
                        .containsPattern("(?m)^faultline_retrack_queued(\\{[^}]*\\})? [0-9]"));
    }

    @Test
    @Order(6)
    void trajectoryPublisherCreatesItsCompactedTopic() throws Exception {
        // without the topic, the publisher's admin client creates it compacted; had it failed to authenticate, the
        // producer would auto-create it with the broker's default (delete) policy
        try (Admin admin = Admin.create(sasl())) {
            admin.deleteTopics(List.of(Topics.ATTRIBUTION_TRAJECTORIES)).all().get(30, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> !admin.listTopics().names().get().contains(Topics.ATTRIBUTION_TRAJECTORIES));
            trajectories
                    .publish(new Trajectory("m", "sasl", "sasl/traj", "ex-1", "main", "71", "72", List.of()))
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.ATTRIBUTION_TRAJECTORIES);
            String policy = admin.describeConfigs(List.of(topic))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .get("cleanup.policy")
                    .value();
            assertThat(policy).isEqualTo("compact");
        }
    }

    /** Status of each event's result on attribution.results, read with SASL credentials. */
    static Map<String, String> results(List<String> ids, Duration timeout) {
        Properties p = sasl();
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, String> found = new HashMap<>();
        try (KafkaConsumer<String, String> c =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            long deadline = System.currentTimeMillis() + timeout.toMillis();
            List<TopicPartition> parts = new ArrayList<>();
            while (parts.isEmpty() && System.currentTimeMillis() < deadline) {
                var infos = c.partitionsFor(Topics.ATTRIBUTION_RESULTS, Duration.ofSeconds(5));
                if (infos != null) {
                    infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            while (found.size() < ids.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (ids.contains(r.key())) {
                        found.put(r.key(), r.value().replaceAll(".*\"status\":\"([A-Z_]+)\".*", "$1"));
                    }
                }
            }
        }
        return found;
    }
}
