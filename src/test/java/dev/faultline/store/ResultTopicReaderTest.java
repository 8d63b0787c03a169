package dev.faultline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Topics;
import dev.faultline.embedded.EmbeddedKafka;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The REST fallback's topic reads on a real broker: the record at the indexed offset when it is the event's, nothing
 * when another event's record or the log's end stands there, and "try again" (not "no result") when the broker does
 * not answer.
 */
class ResultTopicReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ResultTopicReader reader(String bootstrap) {
        ResultTopicReader reader = new ResultTopicReader();
        reader.json = JSON;
        reader.config = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(Map.of("kafka.bootstrap.servers", bootstrap), "test", 500))
                .build();
        return reader;
    }

    @Test
    void readsTheEventsRecordAtItsOffsetAndSaysTryAgainWhenTheBrokerIsGone() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start();
        boolean brokerUp = true;
        ResultTopicReader reader = reader(kafka.bootstrapServers());
        try {
            kafka.createTopics(Map.of(Topics.ATTRIBUTION_RESULTS, 1));
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                    Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    new StringSerializer(),
                    new StringSerializer())) {
                for (String id : new String[] {"read/a", "read/b"}) {
                    producer.send(new ProducerRecord<>(
                                    Topics.ATTRIBUTION_RESULTS,
                                    0,
                                    id,
                                    JSON.writeValueAsString(LocalResultsTest.result(id))))
                            .get();
                }
            }
            assertThat(reader.read("read/a", 0, 0))
                    .get()
                    .satisfies(r -> assertThat(r.eventId()).isEqualTo("read/a"));
            assertThat(reader.read("read/b", 0, 1))
                    .get()
                    .satisfies(r -> assertThat(r.eventId()).isEqualTo("read/b"));
            assertThat(reader.read("read/a", 0, 1))
                    .as("another event's record at the offset")
                    .isEmpty();
            assertThat(reader.read("read/a", 0, 2))
                    .as("the offset is the log's end")
                    .isEmpty();
            assertThat(reader.findSince("read/b", 0))
                    .get()
                    .satisfies(r -> assertThat(r.eventId()).isEqualTo("read/b"));

            kafka.close();
            brokerUp = false;
            assertThatThrownBy(() -> reader.read("read/a", 0, 0))
                    .isInstanceOf(ResultsTopicUnavailableException.class)
                    .hasMessageContaining(Topics.ATTRIBUTION_RESULTS + "-0 at offset 0")
                    .hasMessageContaining("try again");
        } finally {
            reader.close();
            if (brokerUp) {
                kafka.close();
            }
        }
    }
}
