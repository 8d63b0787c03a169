import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Counts the records of attribution.results per event id whose id starts with a prefix: how many events have a
 * result, how many have more than one, and how many of those differ beyond timing fields.
 * Usage: java -cp "target/quarkus-app/lib/main/*" bench/CountResults.java BOOTSTRAP PREFIX EXPECTED_EVENTS
 */
public class CountResults {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        String prefix = args[1];
        int expected = Integer.parseInt(args[2]);
        Map<String, List<String>> byKey = new HashMap<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor("attribution.results").forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            boolean done = false;
            while (!done) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (r.key() != null && r.key().startsWith(prefix)) {
                        byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()
                                .replaceAll("\"attributed_at\":\"[^\"]*\"", "")
                                .replaceAll("\"timings_ms\":\\{[^}]*\\}", ""));
                    }
                }
                done = parts.stream().allMatch(tp -> c.position(tp) >= end.get(tp));
            }
        }
        int dup = 0;
        int different = 0;
        for (List<String> v : byKey.values()) {
            if (v.size() > 1) {
                dup++;
                Set<String> distinct = new HashSet<>(v);
                if (distinct.size() > 1) {
                    different++;
                }
            }
        }
        System.out.printf("events with a result: %d of %d; with more than one record: %d; with differing results: %d%n",
                byKey.size(), expected, dup, different);
        System.exit(byKey.size() == expected && different == 0 ? 0 : 1);
    }
}
