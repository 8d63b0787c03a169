package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A job whose earlier attempts never finished (their count stands in Redis, as a worker that died mid-attribution
 * leaves it) is not run again: the event gets one FAILED result with the reason, and the job record goes unchanged to
 * {@code attribution.jobs.dlq} with the reason in headers. The real crash, a worker JVM halted three times, is
 * {@code dev.faultline.faults.JobCrashIT}.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class PoisonJobTest {

    @Inject
    RedisDataSource redis;

    @Inject
    ObjectMapper json;

    static EvalOutput event(String id) {
        return new EvalOutput(
                EvalOutput.SCHEMA,
                id,
                "poison/run",
                new EvalOutput.ModelRef("faultline-demo", "main", null),
                "unit",
                id,
                "Once upon a time",
                " Lily.",
                List.of("Tom"),
                new EvalOutput.Scoring("regex", "^\\s*([A-Za-z]+)"),
                null,
                null,
                null,
                "2026-11-24T00:00:00Z");
    }

    @Test
    void aJobWhoseAttemptsRanOutEndsFailedAndGoesToTheJobsDlq() throws Exception {
        String id = "poison/" + System.nanoTime();
        redis.value(String.class, Long.class).set(JobAttempts.PREFIX + id, 3L);
        String job = json.writeValueAsString(new AttributionJob(event(id), Verdict.INCORRECT, "Lily", 0));
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        try (KafkaProducer<String, String> p =
                new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>(Topics.ATTRIBUTION_JOBS, "faultline-demo@main#0", job))
                    .get();
        }
        try (ResultsTopic results = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            results.pollUntil(rs -> rs.stream().anyMatch(r -> r.eventId().equals(id)), Duration.ofSeconds(60));
            assertThat(results.of(id)).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(AttributionStatus.FAILED);
                assertThat(r.reason())
                        .contains("attribution attempt 4 after 3 that did not finish")
                        .contains("worker crashed or was killed");
                assertThat(r.verdict()).isEqualTo(Verdict.INCORRECT);
            });
        }
        List<ConsumerRecord<String, String>> dlq = readDlq(id, Duration.ofSeconds(30));
        assertThat(dlq).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("faultline-demo@main#0");
            assertThat(r.value()).isEqualTo(job);
            assertThat(header(r, DeadLetters.REASON)).contains("attempt 4 after 3");
            assertThat(header(r, DeadLetters.REASON_CODE)).isEqualTo(JobDeadLetters.ATTEMPTS_EXHAUSTED);
            assertThat(header(r, JobDeadLetters.ATTEMPTS)).isEqualTo("4");
            assertThat(header(r, DeadLetters.TOPIC)).isEqualTo(Topics.ATTRIBUTION_JOBS);
            assertThat(Long.parseLong(header(r, DeadLetters.OFFSET))).isNotNegative();
        });
        // the result is linked and the count dropped: a further delivery publishes nothing
        assertThat(redis.value(String.class).get("faultline:event:" + id)).isNotNull();
        assertThat(redis.key(String.class).exists(JobAttempts.PREFIX + id)).isFalse();
    }

    static String header(ConsumerRecord<?, ?> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** The jobs DLQ's records for one event, read from the beginning until one is found or the time is up. */
    static List<ConsumerRecord<String, String>> readDlq(String eventId, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        return readDlq(p, eventId, timeout);
    }

    static List<ConsumerRecord<String, String>> readDlq(Properties p, String eventId, Duration timeout) {
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, String>> found = new ArrayList<>();
        try (KafkaConsumer<String, String> c =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            long deadline = System.currentTimeMillis() + timeout.toMillis();
            List<TopicPartition> parts = new ArrayList<>();
            while (parts.isEmpty() && System.currentTimeMillis() < deadline) {
                var infos = c.partitionsFor(Topics.ATTRIBUTION_JOBS_DLQ, Duration.ofSeconds(5));
                if (infos != null) {
                    infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            while (found.isEmpty() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && r.value().contains("\"event_id\":\"" + eventId + "\"")) {
                        found.add(r);
                    }
                }
            }
            // anything more for the same event, written at the same time
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                if (r.value() != null && r.value().contains("\"event_id\":\"" + eventId + "\"")) {
                    found.add(r);
                }
            }
        }
        return found;
    }
}
