package dev.faultline.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.replay.KafkaEventSink;
import dev.faultline.store.ResultTopicReader;
import dev.faultline.tracking.TrajectoryPublisher;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientsTest {

    private static final String JAAS =
            "org.apache.kafka.common.security.plain.PlainLoginModule required " + "username=\"u\" password=\"p\";";

    @TempDir
    Path tmp;

    private static SmallRyeConfig config(Map<String, String> values) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(values, "test", 250))
                .build();
    }

    private static Map<String, String> saslSsl() {
        return KafkaClients.fromConfig(config(Map.of(
                "kafka.bootstrap.servers", "broker-1:9093",
                "kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "SCRAM-SHA-512",
                "kafka.sasl.jaas.config", JAAS,
                "kafka.ssl.truststore.location", "/etc/kafka/truststore.p12",
                "kafka.ssl.truststore.password", "secret",
                "kafka.max.poll.records", "2000",
                "quarkus.redis.hosts", "redis://localhost")));
    }

    private static void assertSecured(Properties p) {
        assertThat(p)
                .containsEntry("bootstrap.servers", "broker-1:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config", JAAS)
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12")
                .containsEntry("ssl.truststore.password", "secret");
    }

    @Test
    void aCommandLineClientTakesTheServicesEnvironmentThenItsCommandConfigFile() throws Exception {
        Path file = tmp.resolve("client.properties");
        Files.writeString(file, "sasl.mechanism=SCRAM-SHA-512\nrequest.timeout.ms=5000\n");
        Properties p = KafkaClients.commandLine(
                Map.of(
                        "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                        "KAFKA_SASL_MECHANISM", "PLAIN",
                        "MP_MESSAGING_CONNECTOR_SMALLRYE_KAFKA_SASL_JAAS_CONFIG", JAAS,
                        "KAFKA_HEAP_OPTS", "-Xmx1g",
                        "KAFKA_MAX_POLL_RECORDS", "2000",
                        "PATH", "/usr/bin"),
                file);
        assertThat(p)
                .as("shared settings from the environment, the file's keys on top")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", JAAS)
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("request.timeout.ms", "5000")
                .doesNotContainKeys("heap.opts", "max.poll.records", "path");
        assertThat(KafkaClients.commandLine(Map.of(), null)).isEmpty();
    }

    @Test
    void readsKafkaSettingsFromPropertiesAndEnvironmentStyleNames() {
        Map<String, String> kafka = KafkaClients.fromConfig(config(Map.of(
                "kafka.security.protocol", "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "mp.messaging.incoming.x.topic", "t")));
        assertThat(kafka)
                .containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "PLAIN")
                .doesNotContainKey("mp.messaging.incoming.x.topic");
    }

    @Test
    void connectorLevelSecuritySettingsReachTheHandBuiltClientsAsTheyReachTheChannels() {
        Map<String, String> kafka = KafkaClients.fromConfig(config(Map.of(
                "kafka.bootstrap.servers", "broker-1:9093",
                "kafka.security.protocol", "PLAINTEXT",
                "mp.messaging.connector.smallrye-kafka.security.protocol", "SASL_SSL",
                "mp.messaging.connector.smallrye-kafka.sasl.jaas.config", JAAS,
                "MP_MESSAGING_CONNECTOR_SMALLRYE_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "mp.messaging.connector.smallrye-kafka.ssl.truststore.location", "/etc/kafka/truststore.p12",
                "MP_MESSAGING_CONNECTOR_SMALLRYE_KAFKA_SSL_TRUSTSTORE_PASSWORD", "secret",
                "mp.messaging.connector.smallrye-kafka.group.id", "not-shared")));
        assertSecured(TrajectoryPublisher.adminConfig(kafka));
        assertThat(kafka).doesNotContainKey("group.id");
    }

    @Test
    void sharedKeepsConnectionAndSecurityOnly() {
        Map<String, String> shared = KafkaClients.shared(saslSsl());
        assertThat(shared)
                .containsKeys(
                        "bootstrap.servers",
                        "security.protocol",
                        "sasl.mechanism",
                        "sasl.jaas.config",
                        "ssl.truststore.location",
                        "ssl.truststore.password")
                .doesNotContainKey("max.poll.records");
    }

    @Test
    void resultTopicReaderConsumerTakesTheSecuritySettings() {
        Properties p = ResultTopicReader.consumerConfig(saslSsl());
        assertSecured(p);
        assertThat(p)
                .containsEntry("enable.auto.commit", "false")
                .containsEntry("max.poll.records", "1")
                .doesNotContainKey("group.id");
    }

    @Test
    void trajectoryTopicAdminTakesTheSecuritySettings() {
        assertSecured(TrajectoryPublisher.adminConfig(saslSsl()));
    }

    @Test
    void replayProducerTakesTheCommandConfigAndKeepsItsGuarantees() throws Exception {
        Path file = tmp.resolve("client.properties");
        Files.writeString(
                file,
                "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
                        + "sasl.jaas.config=" + JAAS.replace("\"", "\\\"") + "\n"
                        + "ssl.truststore.location=/etc/kafka/truststore.p12\nssl.truststore.password=secret\n"
                        + "acks=1\nbootstrap.servers=elsewhere:9092\n");
        Properties p = KafkaEventSink.producerConfig("broker-1:9093", KafkaClients.commandConfig(file));
        assertSecured(p);
        assertThat(p).containsEntry("acks", "all").containsEntry("enable.idempotence", "true");
    }

    @Test
    void withoutSecuritySettingsClientsStayPlain() {
        Properties p = ResultTopicReader.consumerConfig(Map.of("bootstrap.servers", "localhost:9092"));
        assertThat(p).containsEntry("bootstrap.servers", "localhost:9092").doesNotContainKey("security.protocol");
    }
}
