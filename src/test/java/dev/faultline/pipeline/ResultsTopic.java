package dev.faultline.pipeline;

import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionResult;
import dev.faultline.triage.ClozeData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Test reader of {@code attribution.results}: every record from the beginning, as results. */
final class ResultsTopic implements AutoCloseable {

    private final KafkaConsumer<String, String> consumer;
    final List<AttributionResult> results = new ArrayList<>();
    final List<ConsumerRecord<String, String>> records = new ArrayList<>();

    ResultsTopic(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 30_000;
        while (parts.isEmpty() && System.currentTimeMillis() < deadline) {
            var infos = consumer.partitionsFor(Topics.ATTRIBUTION_RESULTS, Duration.ofSeconds(5));
            if (infos != null) {
                infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            }
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    /** Polls until {@code done} holds for what was read (or the timeout), then returns everything read. */
    List<AttributionResult> pollUntil(Predicate<List<AttributionResult>> done, Duration timeout) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (!done.test(results) && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                try {
                    records.add(r);
                    results.add(ClozeData.JSON.readValue(r.value(), AttributionResult.class));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return results;
    }

    /** Polls until each of {@code eventIds} has a result (or the timeout), then returns everything read. */
    List<AttributionResult> pollUntilEach(Collection<String> eventIds, Duration timeout) {
        Set<String> wanted = Set.copyOf(eventIds);
        return pollUntil(
                rs -> rs.stream()
                                .map(AttributionResult::eventId)
                                .filter(wanted::contains)
                                .distinct()
                                .count()
                        == wanted.size(),
                timeout);
    }

    /** The records read so far of {@code eventIds}, by event id (their key). */
    Map<String, List<ConsumerRecord<String, String>>> recordsOf(Collection<String> eventIds) {
        return records.stream()
                .filter(r -> eventIds.contains(r.key()))
                .collect(Collectors.groupingBy(ConsumerRecord::key));
    }

    /** Reads every record written up to now (the end offsets at the call), then returns everything read. */
    List<AttributionResult> readToEnd(Duration timeout) {
        var end = consumer.endOffsets(consumer.assignment());
        return pollUntil(
                rs -> end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue()), timeout);
    }

    List<AttributionResult> of(String eventId) {
        return results.stream().filter(r -> eventId.equals(r.eventId())).toList();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
