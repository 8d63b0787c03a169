package dev.faultline.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Topics;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import dev.faultline.embedded.LocalServices;
import dev.faultline.pipeline.AttributionJob;
import dev.faultline.pipeline.DeadLetters;
import dev.faultline.pipeline.JobAttempts;
import dev.faultline.pipeline.JobDeadLetters;
import dev.faultline.testing.ChildJvm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that takes its worker's JVM down, for real: the packaged service runs as a worker in a child process that
 * halts (exit 137, no shutdown hooks, as the kernel's OOM killer would) when it starts to attribute one event
 * ({@code faultline.attribution.halt-on-event}). Started three times, it dies three times with the job counted each
 * time; the fourth start gives the job up: the event gets one FAILED result and the job lands in
 * {@code attribution.jobs.dlq}. Broker and Redis are the embedded ones of this JVM. Runs after {@code package}.
 */
class JobCrashIT {

    static final Path JAR = ChildJvm.PACKAGED_JAR;
    static LocalServices services;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        services = LocalServices.startAll();
    }

    @AfterAll
    static void stop() {
        if (services != null) {
            services.close();
        }
    }

    ChildJvm worker(String haltOn, Path log) throws IOException {
        return ChildJvm.jar(JAR)
                .heap("768m")
                .property("quarkus.http.port", "0")
                .property("faultline.role", "worker")
                .property("faultline.tracking.enabled", "false")
                .property("faultline.attribution.halt-on-event", haltOn)
                // a halted member is dropped from the group after 6 s (the broker's minimum), not the default 45 s
                .property("mp.messaging.incoming.attribution-jobs.session.timeout.ms", "6000")
                .property("mp.messaging.incoming.attribution-jobs.heartbeat.interval.ms", "1000")
                .env("KAFKA_BOOTSTRAP_SERVERS", services.kafkaBootstrapServers())
                .env("QUARKUS_REDIS_HOSTS", services.redisHosts())
                .withoutEnv("FAULTLINE_ROLE")
                // HTTP authentication is on by default against an external broker; this worker serves no requests
                // (an environment variable: a build without that setting ignores it, where a system property fails
                // validation)
                .env("FAULTLINE_AUTH_ENABLED", "false")
                .log(log)
                .start();
    }

    @Test
    void aJobThatHaltsItsWorkerThreeTimesEndsFailedInTheJobsDlq() throws Exception {
        assertThat(JAR).as("the packaged service (mvn package)").exists();
        ObjectMapper json = new ObjectMapper();
        String id = "crash/" + System.nanoTime();
        EvalOutput event = new EvalOutput(
                EvalOutput.SCHEMA,
                id,
                "crash/run",
                new EvalOutput.ModelRef("faultline-demo", "main", null),
                "unit",
                id,
                "12+34=",
                "47",
                List.of("46"),
                null,
                false,
                null,
                null,
                null);
        String job = json.writeValueAsString(new AttributionJob(event, Verdict.INCORRECT, "47", 0));
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, services.kafkaBootstrapServers());
        try (KafkaProducer<String, String> p =
                new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>(Topics.ATTRIBUTION_JOBS, "faultline-demo@main#0", job))
                    .get();
        }
        Path log = tmp.resolve("worker.log");
        long t0 = System.nanoTime();
        List<Long> crashMillis = new ArrayList<>();
        for (int attempt = 1; attempt <= 3; attempt++) {
            long s = System.nanoTime();
            try (ChildJvm p = worker(id, log)) {
                assertThat(p.waitFor(Duration.ofSeconds(120)))
                        .as("worker %d halted; log: %s", attempt, p.tail())
                        .isTrue();
                assertThat(p.exitValue()).as(p.tail()).isEqualTo(137);
            }
            assertThat(redisGet(JobAttempts.PREFIX + id))
                    .as("attempts after crash %d", attempt)
                    .isEqualTo(Integer.toString(attempt));
            crashMillis.add((System.nanoTime() - s) / 1_000_000);
        }
        long s = System.nanoTime();
        try (ChildJvm last = worker(id, log)) {
            List<ConsumerRecord<String, String>> results =
                    read(Topics.ATTRIBUTION_RESULTS, id, Duration.ofSeconds(120));
            List<ConsumerRecord<String, String>> dlq = read(Topics.ATTRIBUTION_JOBS_DLQ, id, Duration.ofSeconds(30));
            long givenUpMillis = (System.nanoTime() - s) / 1_000_000;
            assertThat(last.isAlive()).as(last.tail()).isTrue();
            assertThat(results).as(last.tail()).singleElement().satisfies(r -> {
                assertThat(r.value())
                        .contains("\"status\":\"FAILED\"")
                        .contains("attribution attempt 4 after 3 that did not finish (worker crashed or was killed)");
            });
            assertThat(dlq).singleElement().satisfies(r -> {
                assertThat(r.value()).isEqualTo(job);
                assertThat(header(r, DeadLetters.REASON)).contains("attempt 4 after 3");
                assertThat(header(r, JobDeadLetters.ATTEMPTS)).isEqualTo("4");
            });
            System.out.printf(
                    "FAULTS crash: worker JVM halted 3 times on one job (each start to exit ms %s); fourth "
                            + "start to FAILED result + jobs DLQ record %d ms; results=%d, jobs DLQ records=%d; total %d ms%n",
                    crashMillis, givenUpMillis, results.size(), dlq.size(), (System.nanoTime() - t0) / 1_000_000);
        }
    }

    static String header(ConsumerRecord<?, ?> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** A GET over the Redis protocol (the test needs no client of its own). */
    static String redisGet(String key) throws IOException {
        int port = services.redis().port();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(2000);
            String cmd = "*2\r\n$3\r\nGET\r\n$" + key.getBytes(StandardCharsets.UTF_8).length + "\r\n" + key + "\r\n";
            socket.getOutputStream().write(cmd.getBytes(StandardCharsets.UTF_8));
            var in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String head = in.readLine();
            if (head == null || head.startsWith("$-1")) {
                return null;
            }
            return in.readLine();
        }
    }

    /** Records of {@code topic} that mention the event id, read from the beginning until one is found. */
    static List<ConsumerRecord<String, String>> read(String topic, String eventId, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, services.kafkaBootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, String>> found = new ArrayList<>();
        String needle = "\"event_id\":\"" + eventId + "\"";
        try (KafkaConsumer<String, String> c =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            long deadline = System.currentTimeMillis() + timeout.toMillis();
            List<TopicPartition> parts = new ArrayList<>();
            while (parts.isEmpty() && System.currentTimeMillis() < deadline) {
                var infos = c.partitionsFor(topic, Duration.ofSeconds(5));
                if (infos != null) {
                    infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            while (found.isEmpty() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && r.value().contains(needle)) {
                        found.add(r);
                    }
                }
            }
            long settle = System.currentTimeMillis() + 1500;
            while (System.currentTimeMillis() < settle) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && r.value().contains(needle)) {
                        found.add(r);
                    }
                }
            }
        }
        return found;
    }
}
