package dev.faultline.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.EvalOutput;
import dev.faultline.demo.AdditionProblem;
import dev.faultline.demo.AdditionSuite;
import dev.faultline.embedded.EmbeddedKafka;
import dev.faultline.embedded.EmbeddedRedis;
import dev.faultline.testing.ChildJvm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
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
 * A Kafka broker and a Redis server in this JVM, and Faultline services as separate processes of the packaged jar
 * ({@code java -jar target/quarkus-app/quarkus-run.jar}) pointed at them, each with its own role, HTTP port and log
 * file. For the tests and benchmarks that need processes of their own (one engine thread each, a worker killed with
 * SIGKILL, a pod's start-up measured from outside).
 */
public final class ServiceProcesses implements AutoCloseable {

    /** The packaged service (run after {@code package}). */
    public static final Path JAR = ChildJvm.PACKAGED_JAR;
    /** The workers' consumer group on {@code attribution.jobs}. */
    public static final String WORKER_GROUP = "faultline-worker";

    static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

    private final EmbeddedKafka kafka;
    private final EmbeddedRedis redis;
    private final Path logs;
    private final List<Service> services = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ServiceProcesses(EmbeddedKafka kafka, EmbeddedRedis redis, Path logs) {
        this.kafka = kafka;
        this.redis = redis;
        this.logs = logs;
    }

    /** Starts the broker, with the declared topics at most {@code partitions} partitions each, and Redis. */
    public static ServiceProcesses start(int partitions) throws IOException {
        EmbeddedKafka kafka = EmbeddedKafka.start();
        try {
            kafka.applyDeclaredTopics(partitions);
            return new ServiceProcesses(
                    kafka, EmbeddedRedis.start(), Files.createTempDirectory("faultline-processes-"));
        } catch (RuntimeException | IOException e) {
            kafka.close();
            throw e;
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public Path logs() {
        return logs;
    }

    /**
     * Launches {@code jar} as a service process named {@code name}: external Kafka and Redis (this object's), a free
     * HTTP port, 1 libtorch intra-op thread, authentication off, then {@code settings} as system properties (they
     * win over the defaults here) and {@code jvmOptions} (heap etc.).
     */
    public Service launch(String name, Path jar, List<String> jvmOptions, Map<String, String> settings)
            throws IOException {
        int port = ChildJvm.freePort();
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        props.put("quarkus.redis.hosts", redis.hosts());
        props.put("quarkus.http.port", Integer.toString(port));
        props.put("ai.djl.offline", "true");
        props.put("ai.djl.pytorch.num_threads", "1");
        props.put("ai.djl.pytorch.num_interop_threads", "1");
        props.put("faultline.attribution.threads", "1");
        props.putAll(settings);
        ChildJvm jvm = ChildJvm.jar(jar)
                .jvmOptions(jvmOptions)
                .properties(props)
                // authentication is on by default against an external broker; these processes run unauthenticated
                // (an environment variable: a jar without that setting ignores it, where a system property fails
                // validation)
                .env("FAULTLINE_AUTH_ENABLED", "false")
                .directory(jar.toAbsolutePath().getParent().getParent().getParent())
                .log(logs.resolve(name + ".log"))
                .start();
        Service s = new Service(name, jvm, port);
        services.add(s);
        return s;
    }

    /**
     * Settings of a service attributing the bundled demo model's failures: models from {@code models/}, jobs in
     * {@code shards} shards, every wrong digit attributed (the random ones are seldom the model's own choice), no
     * tracking and no demo run.
     */
    public static Map<String, String> demoSettings(String role, int shards) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("faultline.role", role);
        s.put("faultline.models.dir", Path.of("models").toAbsolutePath().toString());
        s.put("faultline.attribution.job-shards", Integer.toString(shards));
        s.put("faultline.attribution.min-logit-diff", "-1000");
        s.put("faultline.tracking.enabled", "false");
        s.put("faultline.demo.enabled", "false");
        return s;
    }

    /**
     * {@link #demoSettings} of a worker whose jobs consumer has client id {@code clientId} (as the group lists it) and
     * leaves the group 6 s after it stops heart-beating (the broker's least session time-out) rather than 45 s.
     */
    public static Map<String, String> workerSettings(String clientId, int shards) {
        Map<String, String> s = demoSettings("worker", shards);
        s.put("mp.messaging.incoming.attribution-jobs.client.id", clientId);
        s.put("mp.messaging.incoming.attribution-jobs.session.timeout.ms", "6000");
        s.put("mp.messaging.incoming.attribution-jobs.heartbeat.interval.ms", "1000");
        return s;
    }

    /** Waits until {@code members} consumers of {@code group} share all {@code partitions} partitions of {@code topic}. */
    public void awaitGroup(String group, String topic, int members, int partitions, Duration timeout) {
        ChildJvm.await(
                () -> {
                    Map<String, Set<Integer>> a = assignment(group, topic);
                    Set<Integer> covered = new HashSet<>();
                    a.values().forEach(covered::addAll);
                    return a.size() == members
                            && covered.size() == partitions
                            && a.values().stream().noneMatch(Set::isEmpty);
                },
                timeout,
                () -> "group " + group + ": " + assignment(group, topic));
    }

    /** Waits until every service answers {@code /q/health/ready} with 200, or throws naming the ones that do not. */
    public void awaitReady(List<Service> which, Duration timeout) {
        ChildJvm.await(
                () -> {
                    if (which.stream().anyMatch(s -> !s.jvm.isAlive())) {
                        throw new AssertionError("exited: "
                                + which.stream()
                                        .filter(s -> !s.jvm.isAlive())
                                        .map(Service::describe)
                                        .toList());
                    }
                    return which.stream().allMatch(this::ready);
                },
                timeout,
                () -> "not ready: "
                        + which.stream()
                                .filter(s -> !ready(s))
                                .map(Service::describe)
                                .toList());
    }

    public boolean ready(Service s) {
        return s.jvm.answers(s.url("/q/health/ready"));
    }

    /** The service's Prometheus text, or "" when it does not answer. */
    public String metrics(Service s) {
        try {
            return http.send(
                            HttpRequest.newBuilder(URI.create(s.url("/q/metrics")))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** Sum of the samples of {@code metric} whose labels contain every one of {@code labels} (e.g. {@code area="heap"}). */
    public static double sum(String prometheusText, String metric, String... labels) {
        double total = 0;
        Pattern line = Pattern.compile("^" + Pattern.quote(metric) + "(\\{[^}]*\\})?\\s+(\\S+)", Pattern.MULTILINE);
        Matcher m = line.matcher(prometheusText);
        while (m.find()) {
            String l = m.group(1) == null ? "" : m.group(1);
            boolean all = true;
            for (String want : labels) {
                all &= l.contains(want);
            }
            if (all) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    /** Results this service published (counter {@code faultline_attributions_total}, every status). */
    public double published(Service s) {
        return sum(metrics(s), "faultline_attributions_total");
    }

    /** The members of the workers' group, by client id, with the partitions of {@code topic} each holds. */
    public Map<String, Set<Integer>> assignment(String group, String topic) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group))
                    .describedGroups()
                    .get(group)
                    .get(10, TimeUnit.SECONDS);
            Map<String, Set<Integer>> out = new LinkedHashMap<>();
            for (MemberDescription m : d.members()) {
                Set<Integer> parts = new HashSet<>();
                m.assignment().topicPartitions().stream()
                        .filter(tp -> tp.topic().equals(topic))
                        .forEach(tp -> parts.add(tp.partition()));
                out.put(m.clientId(), parts);
            }
            return out;
        } catch (Exception e) {
            return Map.of();
        }
    }

    /** A result as read from the topic, with its record's timestamp (the publishing producer's clock, ms). */
    public record Published(AttributionResult result, long timestamp) {}

    /**
     * Every result of {@code runId} on {@code attribution.results}, by event id, read from the beginning until each of
     * {@code ids} has one and 3 s more (a duplicate would follow), or until {@code timeout}.
     */
    public Map<String, List<Published>> results(String runId, Set<String> ids, Duration timeout) throws IOException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, List<Published>> byEvent = new HashMap<>();
        try (KafkaConsumer<String, String> c =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor("attribution.results", Duration.ofSeconds(10)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            long settle = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settle)) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    AttributionResult a = JSON.readValue(r.value(), AttributionResult.class);
                    if (runId.equals(a.runId())) {
                        byEvent.computeIfAbsent(a.eventId(), k -> new ArrayList<>())
                                .add(new Published(a, r.timestamp()));
                    }
                }
                if (settle == Long.MAX_VALUE && byEvent.keySet().containsAll(ids)) {
                    settle = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                }
            }
        }
        return byEvent;
    }

    /** Sends the events to {@code eval.outputs} keyed by run id, {@code perSecond} a second (0: at once). */
    public void publish(List<EvalOutput> events, int perSecond) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            long t0 = System.nanoTime();
            for (int i = 0; i < events.size(); i++) {
                EvalOutput e = events.get(i);
                producer.send(new ProducerRecord<>("eval.outputs", e.runId(), JSON.writeValueAsString(e)));
                if (perSecond > 0) {
                    long due = t0 + (long) ((i + 1) * 1e9 / perSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        producer.flush();
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            }
            producer.flush();
        }
    }

    /**
     * {@code n} wrong answers of the bundled demo model's addition task, each to a distinct problem (no answer from
     * the input cache): one digit of the true sum changed.
     */
    public static List<EvalOutput> failures(String runId, int n, long seed) {
        Random random = new Random(seed);
        Set<String> prompts = new HashSet<>();
        List<EvalOutput> out = new ArrayList<>();
        while (out.size() < n) {
            AdditionProblem p = new AdditionProblem(
                    Integer.toString(100 + random.nextInt(899_900)), Integer.toString(10 + random.nextInt(89_990)));
            if (!prompts.add(p.prompt())) {
                continue;
            }
            String answer = p.answer();
            int at = random.nextInt(answer.length());
            char wrong = (char) ('0' + (answer.charAt(at) - '0' + 1 + random.nextInt(8)) % 10);
            String output = answer.substring(0, at) + wrong + answer.substring(at + 1);
            out.add(AdditionSuite.toEvent(
                    p,
                    output,
                    runId,
                    new EvalOutput.ModelRef("faultline-demo", "main", null),
                    Instant.parse("2026-11-24T00:00:00Z")));
        }
        return out;
    }

    @Override
    public void close() {
        services.forEach(s -> s.jvm.terminate());
        services.forEach(s -> s.jvm.stop());
        try {
            kafka.close();
        } finally {
            redis.close();
        }
    }

    /** One service process. */
    public record Service(String name, ChildJvm jvm, int port) {

        public String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        String describe() {
            return name + ", " + jvm.describe();
        }
    }
}
