package dev.faultline.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Topics;
import dev.faultline.config.KafkaClients;
import dev.faultline.contract.AttributionResult;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.Config;

/**
 * Reads one result from {@code attribution.results} at the partition and offset the {@link RunIndex} recorded: the
 * REST API's source when Redis misses (expired, flushed or down). One consumer, assigned (no group), used under a lock.
 */
@ApplicationScoped
public class ResultTopicReader {

    @Inject
    Config config;

    @Inject
    ObjectMapper json;

    private KafkaConsumer<String, String> consumer;

    private KafkaConsumer<String, String> consumer() {
        if (consumer == null) {
            consumer = new KafkaConsumer<>(
                    consumerConfig(KafkaClients.fromConfig(config)),
                    new StringDeserializer(),
                    new StringDeserializer());
        }
        return consumer;
    }

    /** The consumer's properties: the shared {@code kafka.*} connection and security settings, no group, no commits. */
    public static Properties consumerConfig(Map<String, String> kafka) {
        return KafkaClients.properties(
                kafka,
                Map.of(
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                        ConsumerConfig.CLIENT_ID_CONFIG, "faultline-result-reader"));
    }

    /**
     * The latest result of {@code eventId} published at or after {@code sinceMillis} (broker timestamps), read from
     * the one partition its key maps to (the producers' default partitioner) up to the current end: a worker taking
     * over an event whose previous owner died while publishing uses it to tell whether that result got out.
     */
    public synchronized Optional<AttributionResult> findSince(String eventId, long sinceMillis) {
        KafkaConsumer<String, String> c = consumer();
        int partitions = c.partitionsFor(Topics.ATTRIBUTION_RESULTS, Duration.ofSeconds(10))
                .size();
        TopicPartition tp = new TopicPartition(
                Topics.ATTRIBUTION_RESULTS,
                org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                                eventId.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                        % partitions);
        c.assign(List.of(tp));
        long end = c.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
        var at = c.offsetsForTimes(java.util.Map.of(tp, sinceMillis), Duration.ofSeconds(10))
                .get(tp);
        if (at == null) {
            return Optional.empty(); // nothing written since then
        }
        c.seek(tp, at.offset());
        String found = null;
        long deadline = System.currentTimeMillis() + 30_000;
        while (c.position(tp) < end && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                if (r.offset() < end && eventId.equals(r.key()) && r.value() != null) {
                    found = r.value();
                }
            }
        }
        return found == null ? Optional.empty() : parse(found);
    }

    /** How long {@link #read} waits for the broker before it gives up with {@link ResultsTopicUnavailableException}. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The result of {@code eventId} stored at that position, if it is still there (compaction keeps the latest):
     * empty when the record there, or the first one after it, belongs to another event or is gone from the log.
     *
     * @throws ResultsTopicUnavailableException when the broker does not answer within {@link #READ_TIMEOUT}
     */
    public synchronized Optional<AttributionResult> read(String eventId, int partition, long offset) {
        KafkaConsumer<String, String> consumer = consumer();
        TopicPartition tp = new TopicPartition(Topics.ATTRIBUTION_RESULTS, partition);
        long deadline = System.currentTimeMillis() + READ_TIMEOUT.toMillis();
        try {
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), READ_TIMEOUT).get(tp);
            if (offset >= end) {
                return Optional.empty(); // the log was truncated or recreated under the index
            }
            consumer.seek(tp, offset);
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() < offset) {
                        continue;
                    }
                    return eventId.equals(r.key()) && r.value() != null ? parse(r.value()) : Optional.empty();
                }
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            // no answer to the end-offset request: the same as no record before the deadline
        }
        throw unavailable(partition, offset);
    }

    /** The result a record's value holds; empty for a value that is not one. */
    private Optional<AttributionResult> parse(String value) {
        try {
            return Optional.of(json.readValue(value, AttributionResult.class));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static ResultsTopicUnavailableException unavailable(int partition, long offset) {
        return new ResultsTopicUnavailableException("the results topic did not answer within "
                + READ_TIMEOUT.toSeconds() + " s (" + Topics.ATTRIBUTION_RESULTS + "-" + partition + " at offset "
                + offset + "); try again");
    }

    @PreDestroy
    synchronized void close() {
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(1));
        }
    }
}
