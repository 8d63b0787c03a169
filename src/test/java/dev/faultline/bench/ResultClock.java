package dev.faultline.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.triage.ClozeData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Event → result timing for the service benchmarks: when each event was sent to {@code eval.outputs} and when its
 * result record was written to {@code attribution.results} (the record's timestamp), with the result's status.
 * {@link #start} opens the producer (linger 0) and the results reader thread; {@link #close} ends both.
 */
final class ResultClock implements AutoCloseable {

    final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    final Map<String, Long> resultAt = new ConcurrentHashMap<>();
    final Map<String, String> status = new ConcurrentHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private Thread reader;
    private KafkaProducer<String, String> producer;

    /** Starts reading results and returns a producer for {@code eval.outputs} (sends at once: linger 0). */
    KafkaProducer<String, String> start() {
        reader = new Thread(() -> readResults(stop));
        reader.start();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        return producer;
    }

    @Override
    public void close() throws InterruptedException {
        if (producer != null) {
            producer.close();
        }
        stop.set(true);
        if (reader != null) {
            reader.join();
        }
    }

    /** {@code label: n=… p50=… p90=… p99=… max=…} of the events' send → result latencies, then {@code suffix}. */
    String latencies(String label, List<String> ids, String suffix) {
        List<Long> lat = new ArrayList<>();
        for (String i : ids) {
            lat.add(resultAt.get(i) - sentAt.get(i));
        }
        return percentiles(label, lat, suffix);
    }

    /** {@code label: n=… p50=… p90=… p99=… max=…} of latencies in ms (any order, not empty), then {@code suffix}. */
    static String percentiles(String label, List<Long> latencies, String suffix) {
        List<Long> sorted = new ArrayList<>(latencies);
        java.util.Collections.sort(sorted);
        return String.format(
                "%s: n=%d p50=%d ms p90=%d ms p99=%d ms max=%d ms%s%n",
                label,
                sorted.size(),
                pct(sorted, 50),
                pct(sorted, 90),
                pct(sorted, 99),
                sorted.get(sorted.size() - 1),
                suffix);
    }

    static long pct(List<Long> sorted, int p) {
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }

    /** The event lines of the cloze run whose expected verdict is incorrect (its 74 failures). */
    static List<String> failures(ClozeData data) {
        return data.eventLines.stream()
                .filter(l -> {
                    try {
                        String id = ClozeData.JSON.readTree(l).get("event_id").asText();
                        return !data.expected.get(id).get("correct").asBoolean();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toList();
    }

    /**
     * Sends the events under fresh ids ({@code event_id + suffix}), {@code perSecond} a second (0: at once), each
     * changed by {@code edit} first; returns the ids.
     */
    List<String> send(
            KafkaProducer<String, String> producer,
            List<String> lines,
            String suffix,
            int perSecond,
            UnaryOperator<ObjectNode> edit)
            throws Exception {
        List<String> ids = new ArrayList<>();
        long start = System.nanoTime();
        int k = 0;
        for (String line : lines) {
            if (perSecond > 0) {
                long wait = start + (long) (k * 1e9 / perSecond) - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            ObjectNode n = (ObjectNode) ClozeData.JSON.readTree(line);
            String id = n.get("event_id").asText() + suffix;
            n.put("event_id", id);
            n = edit.apply(n);
            ids.add(id);
            sentAt.put(id, System.currentTimeMillis());
            producer.send(new ProducerRecord<>(
                    "eval.outputs", n.get("run_id").asText(), ClozeData.JSON.writeValueAsString(n)));
            k++;
        }
        producer.flush();
        return ids;
    }

    /** Waits until every id has a result. */
    void await(List<String> ids, int seconds) throws InterruptedException {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (!resultAt.keySet().containsAll(ids)) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("results missing after " + seconds + " s");
            }
            Thread.sleep(50);
        }
    }

    /** Reads {@code attribution.results} from the start until {@code stop}, noting each event's first result. */
    void readResults(AtomicBoolean stop) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        try (KafkaConsumer<String, String> c =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            while (parts.isEmpty() && !stop.get()) {
                var infos = c.partitionsFor("attribution.results", Duration.ofSeconds(5));
                if (infos != null) {
                    infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            while (!stop.get()) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                    resultAt.putIfAbsent(r.key(), r.timestamp());
                    try {
                        status.putIfAbsent(
                                r.key(),
                                ClozeData.JSON.readTree(r.value()).get("status").asText());
                    } catch (Exception e) {
                        // not a result
                    }
                }
            }
        }
    }
}
