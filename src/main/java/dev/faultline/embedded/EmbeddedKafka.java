package dev.faultline.embedded;

import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.jboss.logging.Logger;

/** A real single-node KRaft Kafka broker (broker + controller) running inside this JVM on free local ports. */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedKafka.class);

    /** Largest record the embedded broker accepts (events may carry a prompt of up to a few MB). */
    public static final int MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

    private final EmbeddedKafkaBroker broker;
    private final String bootstrapServers;

    private EmbeddedKafka(EmbeddedKafkaBroker broker, String bootstrapServers) {
        this.broker = broker;
        this.bootstrapServers = bootstrapServers;
    }

    /** Formats a fresh log directory and starts the broker; returns once it accepts connections. */
    public static EmbeddedKafka start() {
        int port = FreePorts.next();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withNodeId(0)
                .withKafkaHost("127.0.0.1")
                .withKafkaPort(port)
                .withControllerPort(FreePorts.next())
                .withDeleteLogDirsOnClose(true)
                .withAdditionalProperties(p -> {
                    p.put("group.initial.rebalance.delay.ms", "0");
                    p.put("message.max.bytes", String.valueOf(MAX_MESSAGE_BYTES));
                    p.put("replica.fetch.max.bytes", String.valueOf(MAX_MESSAGE_BYTES));
                    p.put("auto.create.topics.enable", "true");
                    p.put("num.partitions", "1");
                })
                .start();
        String bootstrap = "127.0.0.1:" + port;
        LOG.debugf("embedded Kafka broker started on %s", bootstrap);
        return new EmbeddedKafka(broker, bootstrap);
    }

    /** The {@code host:port} clients connect to. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * Creates the topics declared in {@code kafka-topics/topics.yaml} (bundled in the jar) with their declared configs
     * (compaction of the results, retention, message size), one replica and at most {@code maxPartitions} partitions,
     * so the default run behaves like a configured cluster. Existing topics are left as they are.
     */
    public void applyDeclaredTopics(int maxPartitions) {
        dev.faultline.topics.TopicsFile declared = dev.faultline.topics.TopicsFile.bundled();
        dev.faultline.topics.TopicsFile local = new dev.faultline.topics.TopicsFile(declared.topics().stream()
                .map(t -> t.withMaxReplicas(1))
                .map(t -> new dev.faultline.topics.TopicSpec(
                        t.name(), t.description(), Math.min(t.partitions(), maxPartitions), t.replicas(), t.config()))
                .toList());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            new dev.faultline.topics.TopicsApplier(admin).apply(local, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not create the declared topics on " + bootstrapServers, e);
        }
    }

    /** Creates the given topics (name to partition count) where they do not exist yet. */
    public void createTopics(Map<String, Integer> partitionsByTopic) {
        createTopics(bootstrapServers, partitionsByTopic);
    }

    /**
     * Creates the given topics (name to partition count, one replica, this broker's message size) on the unsecured
     * broker at {@code bootstrapServers} where they do not exist yet.
     */
    public static void createTopics(String bootstrapServers, Map<String, Integer> partitionsByTopic) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            partitionsByTopic.forEach((name, partitions) -> {
                if (!existing.contains(name)) {
                    missing.add(new NewTopic(name, partitions, (short) 1)
                            .configs(Map.of("max.message.bytes", String.valueOf(MAX_MESSAGE_BYTES))));
                }
            });
            if (!missing.isEmpty()) {
                for (var created : admin.createTopics(missing).values().values()) {
                    try {
                        created.get(30, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        // the admin client retries a request that timed out on a busy machine, and the retry finds
                        // the topic its first attempt created
                        if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                            throw e;
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(
                    "could not create topics " + partitionsByTopic.keySet() + " on " + bootstrapServers, e);
        }
    }

    @Override
    public void close() {
        broker.close();
    }
}
