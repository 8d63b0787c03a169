package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Topics;
import dev.faultline.contract.EvalOutput;
import dev.faultline.embedded.EmbeddedRedis;
import dev.faultline.faults.BrokerProcess;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The Kafka broker, in its own JVM ({@link BrokerProcess}), killed (SIGKILL) while events are in flight and started
 * again with its data: every event, sent before or after, ends with exactly one result on {@code attribution.results}.
 * Prints one {@code FAULTS broker} line with its figures.
 */
@QuarkusTest
@WithTestResource(BrokerRestartTest.Resources.class)
class BrokerRestartTest {

    static BrokerProcess broker;
    static EmbeddedRedis redis;

    public static class Resources implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                Path dir = Files.createTempDirectory("faultline-broker-");
                broker = new BrokerProcess(freePort(), freePort(), dir.resolve("logs"), dir.resolve("broker.log"))
                        .start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            redis = EmbeddedRedis.start();
            return Map.of(
                    "kafka.bootstrap.servers",
                    broker.bootstrapServers(),
                    "quarkus.redis.hosts",
                    redis.hosts(),
                    "faultline.tracking.enabled",
                    "false");
        }

        @Override
        public void stop() {
            try {
                broker.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            redis.close();
        }
    }

    static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Inject
    ObjectMapper json;

    @Test
    void aBrokerKilledAndRestartedMidRunLeavesExactlyOneResultPerEvent() throws Exception {
        String run = "faults/broker-" + System.nanoTime();
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (EvalOutput e : FaultSuiteTest.additions(run, 40, 11)) {
            (first.size() < 20 ? first : second).add(json.writeValueAsString(e));
            ids.add(e.eventId());
        }
        for (int i = 0; i < 40; i++) {
            String id = run + "/correct-" + i;
            (i < 20 ? first : second).add(FaultSuiteTest.correctEvent(id, run));
            ids.add(id);
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        long downMillis;
        long t0;
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (String line : first) {
                producer.send(new ProducerRecord<>(Topics.EVAL_OUTPUTS, run, line))
                        .get();
            }
            // jobs queued and results being published when the broker dies
            Thread.sleep(300);
            long down = System.nanoTime();
            broker.kill();
            Thread.sleep(2_000);
            broker.start();
            downMillis = (System.nanoTime() - down) / 1_000_000;
            t0 = System.nanoTime();
            for (String line : second) {
                producer.send(new ProducerRecord<>(Topics.EVAL_OUTPUTS, run, line))
                        .get();
            }
        }
        Map<String, List<ConsumerRecord<String, String>>> byEvent;
        try (ResultsTopic topic = new ResultsTopic(broker.bootstrapServers())) {
            topic.pollUntilEach(ids, Duration.ofMinutes(3));
            long allMillis = (System.nanoTime() - t0) / 1_000_000;
            topic.readToEnd(Duration.ofSeconds(10));
            byEvent = topic.recordsOf(ids);
            long duplicates =
                    byEvent.values().stream().mapToLong(rs -> rs.size() - 1).sum();
            System.out.printf(
                    "FAULTS broker: sent=%d events with results=%d duplicates=%d; broker killed (SIGKILL) "
                            + "and back in %d ms; every event had its result %d ms after the restart%n",
                    ids.size(), byEvent.size(), duplicates, downMillis, allMillis);
        }
        assertThat(byEvent).hasSize(ids.size());
        byEvent.forEach((id, rs) -> assertThat(rs).as(id).hasSize(1));
    }
}
