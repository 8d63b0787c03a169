package dev.faultline.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.pipeline.AttributionJob;
import dev.faultline.pipeline.AttributionWorker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A worker pod played inside a Quarkus test: its own Kafka consumer in the workers' group, on a thread of its own,
 * that polls the jobs and fleet requests topics, hands every record to this process's real worker paths
 * ({@link AttributionWorker#attribute}, {@link FleetRequests#handle}) and commits a poll's offsets only once all of its
 * work is done, as the connector does. It keeps the records it took and those whose work is done. One started with
 * {@code dieAfter} dies once it has taken that many records: that poll's work still running, nothing of it committed,
 * its consumer closed at once, so the group hands its partitions to the others only when its session times out.
 */
public final class InProcessWorker implements AutoCloseable {

    /**
     * The settings of a triage process whose jobs and fleet requests go to a test's own topics, where its in-process
     * workers take them; {@code more} on top.
     */
    public static Map<String, String> triageOn(String jobs, String requests, Map<String, String> more) {
        Map<String, String> c = new HashMap<>(Map.of(
                "faultline.role",
                "triage",
                "mp.messaging.outgoing.attribution-jobs-out.topic",
                jobs,
                "mp.messaging.outgoing.attribution-requests-out.topic",
                requests));
        c.putAll(more);
        return c;
    }

    /** How long a poll's work may take before the worker fails. */
    static final Duration WORK_TIMEOUT = Duration.ofMinutes(5);

    /**
     * The workers of one test: their consumer group, the jobs topic and the requests topic (null where they read
     * none), and the worker paths of this Quarkus process ({@code fleet} may be null where no requests are read).
     */
    public record Group(
            String bootstrap,
            String id,
            String jobs,
            String requests,
            AttributionWorker worker,
            FleetRequests fleet,
            ObjectMapper json) {

        /** A worker on the group's jobs topic and, where it has one, its requests topic. */
        public InProcessWorker start(String name) {
            return start(name, Integer.MAX_VALUE);
        }

        /** A worker on the group's topics that dies once it has taken {@code dieAfter} records. */
        public InProcessWorker start(String name, int dieAfter) {
            return new InProcessWorker(
                    this, name, requests == null ? List.of(jobs) : List.of(jobs, requests), dieAfter);
        }

        /** A worker on {@code topic} alone (one of the group's two). */
        public InProcessWorker startOn(String name, String topic) {
            return new InProcessWorker(this, name, List.of(topic), Integer.MAX_VALUE);
        }
    }

    private final Group group;
    private final String name;
    private final List<String> topics;
    private final int dieAfter;
    private final List<ConsumerRecord<String, String>> taken = Collections.synchronizedList(new ArrayList<>());
    private final List<ConsumerRecord<String, String>> done = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicBoolean killed = new AtomicBoolean();
    private volatile Exception failure;
    private final Thread thread;

    private InProcessWorker(Group group, String name, List<String> topics, int dieAfter) {
        this.group = group;
        this.name = name;
        this.topics = topics;
        this.dieAfter = dieAfter;
        this.thread = new Thread(this::loop, group.id() + "-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, group.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group.id());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "8");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, thread.getName());
        KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        try {
            consumer.subscribe(topics);
            while (!stopped.get()) {
                List<ConsumerRecord<String, String>> polled = new ArrayList<>();
                List<CompletableFuture<?>> running = new ArrayList<>();
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                    taken.add(r);
                    polled.add(r);
                    running.add(hand(r));
                    offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    if (taken.size() >= dieAfter) {
                        killed.set(true);
                        return;
                    }
                }
                CompletableFuture.allOf(running.toArray(CompletableFuture[]::new))
                        .get(WORK_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                done.addAll(polled);
                if (!offsets.isEmpty()) {
                    consumer.commitSync(offsets);
                }
            }
        } catch (Exception e) {
            if (!stopped.get()) {
                failure = e;
                throw new IllegalStateException(e);
            }
        } finally {
            if (killed.get()) {
                consumer.close(Duration.ZERO);
            } else {
                consumer.close();
            }
        }
    }

    private CompletableFuture<?> hand(ConsumerRecord<String, String> r) throws IOException {
        if (r.topic().equals(group.jobs())) {
            return group.worker()
                    .attribute(group.json().readValue(r.value(), AttributionJob.class))
                    .toCompletableFuture();
        }
        return group.fleet().handle(r.value()).toCompletableFuture();
    }

    public String name() {
        return name;
    }

    /** Whether it died after taking {@code dieAfter} records. */
    public boolean killed() {
        return killed.get();
    }

    /** Waits at most {@code timeout} for its thread to end (it ends once stopped, killed or failed). */
    public void join(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
    }

    /** The records it took, in order, whether their work is done or not. */
    public List<ConsumerRecord<String, String>> taken() {
        return snapshot(taken, Function.identity());
    }

    /** The keys of the records whose work is done, in order. */
    public List<String> doneKeys() {
        return snapshot(done, ConsumerRecord::key);
    }

    /** The event ids of the jobs it took. */
    public Set<String> jobEvents() {
        return taken().stream()
                .filter(r -> r.topic().equals(group.jobs()))
                .map(r -> read(r, AttributionJob.class).event().eventId())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** The fleet requests it took, as JSON. */
    public List<JsonNode> requests() {
        return taken().stream()
                .filter(r -> !r.topic().equals(group.jobs()))
                .map(r -> read(r, JsonNode.class))
                .toList();
    }

    /** The partitions of the records it took. */
    public Set<Integer> partitions() {
        return taken().stream().map(ConsumerRecord::partition).collect(Collectors.toSet());
    }

    private <T> T read(ConsumerRecord<String, String> r, Class<T> type) {
        try {
            return group.json().readValue(r.value(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> List<T> snapshot(
            List<ConsumerRecord<String, String>> records, Function<ConsumerRecord<String, String>, T> f) {
        synchronized (records) {
            return records.stream().map(f).toList();
        }
    }

    /** Stops it after the poll in hand and leaves the group; throws what made it fail, if anything did. */
    @Override
    public void close() throws InterruptedException {
        stopped.set(true);
        thread.join(30_000);
        if (failure != null) {
            throw new IllegalStateException("worker " + name + " failed", failure);
        }
    }
}
