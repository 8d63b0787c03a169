package dev.faultline.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.embedded.EmbeddedKafka;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** {@link RequestsLag#lag}: a group's uncommitted records on a real broker, with and without committed offsets. */
class RequestsLagTest {

    @Test
    void lagIsWhatTheGroupHasNotCommitted() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            kafka.createTopics(Map.of("requests.lag", 2));
            assertThat(RequestsLag.lag(admin, "lag-group", "requests.lag", 10_000))
                    .as("empty topic")
                    .isZero();
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 5; i++) {
                    producer.send(new ProducerRecord<>("requests.lag", 0, "k", "r" + i));
                }
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>("requests.lag", 1, "k", "r" + i));
                }
            }
            assertThat(RequestsLag.lag(admin, "lag-group", "requests.lag", 10_000))
                    .as("nothing committed")
                    .isEqualTo(8);
            admin.alterConsumerGroupOffsets(
                            "lag-group", Map.of(new TopicPartition("requests.lag", 0), new OffsetAndMetadata(4)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            assertThat(RequestsLag.lag(admin, "lag-group", "requests.lag", 10_000))
                    .as("1 left on partition 0, 3 on partition 1 (nothing committed there)")
                    .isEqualTo(4);
            admin.alterConsumerGroupOffsets(
                            "lag-group",
                            Map.of(
                                    new TopicPartition("requests.lag", 0),
                                    new OffsetAndMetadata(5),
                                    new TopicPartition("requests.lag", 1),
                                    new OffsetAndMetadata(3)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            assertThat(RequestsLag.lag(admin, "lag-group", "requests.lag", 10_000))
                    .as("all done")
                    .isZero();
        }
    }
}
