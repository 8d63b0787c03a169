package dev.faultline.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.faultline.fleet.ServiceProcesses.Service;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Start time and heap of a triage pod against 10,000, 100,000 and 1,000,000 results on {@code attribution.results}
 * (bench/RESULTS.md); not a test: runs only with {@code -Dbench=true}, after {@code package}
 * ({@code bench/pod-start.sh}). Synthetic results (ATTRIBUTED, 14 tokens, about 1.6 KB of JSON, 100 runs) are
 * written by a producer in this JVM; at each size a triage process of each jar in {@code -Dbench.jars} (name=path,
 * comma-separated; default: {@code after=target/quarkus-app/quarkus-run.jar}) is started and measured:
 * time from launch to {@code /q/health/ready} 200; heap used ({@code jvm_memory_used_bytes}, area heap) after a full
 * collection ({@code jcmd GC.run}) 5 s after ready; for the jars named in {@code -Dbench.serve} (default
 * {@code before}: a pod that replays the topic into memory, ready before it has), also the time until its
 * {@code /api/runs} counts every result (it serves the whole history; given up after {@code -Dbench.serve-timeout-s},
 * 300) and the heap after a collection then. Before each start the fleet groups that commit their
 * offsets ({@code faultline-index}, {@code faultline-tracking}) are set to the end of the topic, as for a pod that
 * joins a running fleet; a jar whose processes read the topic in groups of their own is not affected.
 */
class PodStartBench {

    static final int PARTITIONS = 6;
    static final String TOPIC = "attribution.results";
    static final int RUNS = 100;

    final HttpClient http = HttpClient.newHttpClient();
    final List<String> report = new ArrayList<>();

    @Test
    void measure() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true after `package`");
        Map<String, Path> jars = new LinkedHashMap<>();
        for (String spec : System.getProperty("bench.jars", "after=" + ServiceProcesses.JAR)
                .split(",")) {
            String[] kv = spec.split("=", 2);
            jars.put(kv[0], Path.of(kv[1]));
            assertThat(Path.of(kv[1])).as(spec).exists();
        }
        List<Integer> sizes = new ArrayList<>();
        for (String s :
                System.getProperty("bench.sizes", "10000,100000,1000000").split(",")) {
            sizes.add(Integer.parseInt(s.trim()));
        }
        long serveTimeout = Long.getLong("bench.serve-timeout-s", 300);
        List<String> serve = List.of(System.getProperty("bench.serve", "before").split(","));
        List<String> jvm = List.of(System.getProperty("bench.xmx", "-Xmx2g"));
        try (ServiceProcesses fleet = ServiceProcesses.start(PARTITIONS);
                KafkaProducer<String, String> producer = producer(fleet.bootstrapServers())) {
            int written = 0;
            for (int size : sizes) {
                long t0 = System.nanoTime();
                for (; written < size; written++) {
                    producer.send(new ProducerRecord<>(TOPIC, "synthetic/" + written, result(written)));
                }
                producer.flush();
                report.add(String.format(
                        "%,d results on the topic (%.1f s to write them)", size, (System.nanoTime() - t0) / 1e9));
                System.out.println(report.get(report.size() - 1));
                for (Map.Entry<String, Path> jar : jars.entrySet()) {
                    measureOne(
                            fleet,
                            jar.getKey() + "-" + size,
                            jar.getValue(),
                            jvm,
                            size,
                            serve.contains(jar.getKey()) ? serveTimeout : 0);
                }
            }
        } finally {
            System.out.println("=== pod start (" + Runtime.getRuntime().availableProcessors() + " cores) ===\n"
                    + String.join("\n", report));
        }
    }

    void measureOne(ServiceProcesses fleet, String name, Path jar, List<String> jvm, int size, long serveTimeout)
            throws Exception {
        toEnd(fleet.bootstrapServers(), "faultline-index");
        toEnd(fleet.bootstrapServers(), "faultline-tracking");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("faultline.role", "triage");
        settings.put("faultline.models.dir", Path.of("models").toAbsolutePath().toString());
        settings.put("faultline.demo.enabled", "false");
        Service s = fleet.launch(name, jar, jvm, settings);
        try {
            fleet.awaitReady(List.of(s), Duration.ofMinutes(10));
            double ready = (System.nanoTime() - s.jvm().startedNanos()) / 1e9;
            Thread.sleep(5000); // the consumers start and poll
            double heapAtReady = heapAfterGc(fleet, s);
            if (serveTimeout == 0) {
                report.add(String.format(
                        "  %-16s ready %.1f s; heap after GC %.0f MiB (ready + 5 s)",
                        name, ready, heapAtReady / (1 << 20)));
                System.out.println(report.get(report.size() - 1));
                return;
            }
            String serves;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(serveTimeout);
            long counted = counted(s);
            while (counted < size && System.nanoTime() < deadline) {
                Thread.sleep(1000);
                counted = counted(s);
            }
            double served = (System.nanoTime() - s.jvm().startedNanos()) / 1e9;
            serves = counted >= size
                    ? String.format("%.1f s", served)
                    : String.format("not within %d s (%,d counted)", serveTimeout, counted);
            double heapServed = heapAfterGc(fleet, s);
            report.add(String.format(
                    "  %-16s ready %.1f s; heap after GC %.0f MiB (ready + 5 s); /api/runs counts all "
                            + "%,d: %s, heap after GC then %.0f MiB",
                    name, ready, heapAtReady / (1 << 20), size, serves, heapServed / (1 << 20)));
            System.out.println(report.get(report.size() - 1));
        } finally {
            s.jvm().stop();
        }
    }

    /** Events the pod's {@code /api/runs} counts over every synthetic run (-1 when it does not answer). */
    long counted(Service s) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(s.url("/api/runs")))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            long total = 0;
            for (JsonNode run : ServiceProcesses.JSON.readTree(r.body())) {
                if (run.path("run_id").asText().startsWith("synthetic-")) {
                    total += run.path("events").asLong();
                }
            }
            return total;
        } catch (Exception e) {
            return -1;
        }
    }

    static double heapAfterGc(ServiceProcesses fleet, Service s) throws Exception {
        s.jvm().jcmd("GC.run");
        return ServiceProcesses.sum(fleet.metrics(s), "jvm_memory_used_bytes", "area=\"heap\"");
    }

    /** Commits {@code group}'s offsets at the end of the results topic. */
    static void toEnd(String bootstrap, String group) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0;
                    p
                            < admin.describeTopics(List.of(TOPIC))
                                    .allTopicNames()
                                    .get()
                                    .get(TOPIC)
                                    .partitions()
                                    .size();
                    p++) {
                latest.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
            }
            Map<TopicPartition, OffsetAndMetadata> ends = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, o) -> ends.put(tp, new OffsetAndMetadata(o.offset())));
            admin.alterConsumerGroupOffsets(group, ends).all().get(30, TimeUnit.SECONDS);
        }
    }

    static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(1 << 20));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20));
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    static final String[] WORDS = {
        "What", " is", " 3", "48", "17", " +", " 5", "20", "9", "?", " Answer", ":", " 4", "02"
    };

    /** Result {@code i}: an ATTRIBUTED failure of run {@code synthetic-(i mod 100)}, event id {@code synthetic/i}. */
    static String result(int i) {
        StringBuilder tokens = new StringBuilder();
        int at = 0;
        for (int t = 0; t < WORDS.length; t++) {
            if (t > 0) {
                tokens.append(',');
            }
            int end = at + WORDS[t].length();
            tokens.append(String.format(
                    "{\"text\":\"%s\",\"id\":%d,\"start\":%d,\"end\":%d,\"relevance\":%.6f,"
                            + "\"special\":false,\"segment\":\"%s\"}",
                    WORDS[t], 100 + t, at, end, ((i * 31 + t * 17) % 200 - 100) / 37.0, t < 10 ? "prompt" : "output"));
            at = end;
        }
        return String.format(
                "{\"schema\":\"faultline.attribution/v1\",\"event_id\":\"synthetic/%d\",\"run_id\":"
                        + "\"synthetic-%d\",\"model\":{\"name\":\"synthetic-model\",\"revision\":\"step%04d\"},\"benchmark\":"
                        + "\"synthetic-bench\",\"example_id\":\"ex-%d\",\"status\":\"ATTRIBUTED\",\"verdict\":\"INCORRECT\","
                        + "\"target\":{\"position\":12,\"wrong\":{\"id\":412,\"text\":\" 4\"},\"contrast\":{\"id\":413,\"text\":"
                        + "\" 5\"},\"logit_diff\":%.4f,\"contrast_rank\":1},\"tokens\":[%s],\"top_positive\":[{\"index\":3,"
                        + "\"relevance\":1.25},{\"index\":5,\"relevance\":0.75}],\"top_negative\":[{\"index\":8,\"relevance\":"
                        + "-0.5}],\"segments\":[{\"name\":\"prompt\",\"relevance\":1.5},{\"name\":\"output\",\"relevance\":0.25}],"
                        + "\"engine\":{\"rules\":\"attnlrp\",\"softmax\":\"cp\",\"dtype\":\"float32\",\"device\":\"cpu\","
                        + "\"version\":\"bench\"},\"timings_ms\":{\"attribution\":12.5},\"produced_at\":"
                        + "\"2026-12-01T00:00:00Z\",\"attributed_at\":\"2026-12-01T00:00:01Z\"}",
                i, i % RUNS, i % 10, i, (i % 97) / 10.0, tokens);
    }
}
