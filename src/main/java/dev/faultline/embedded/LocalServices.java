package dev.faultline.embedded;

import dev.faultline.channels.Topics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Starts the embedded Kafka broker and Redis server that are missing from the configuration and stops them again;
 * used by the default run ({@code FaultlineMain}) and by the tests ({@code LocalServicesResource}).
 */
public final class LocalServices implements AutoCloseable {

    /** Configuration key (system property) of the Kafka bootstrap servers. */
    public static final String KAFKA_PROPERTY = "kafka.bootstrap.servers";
    /** Environment variable of the Kafka bootstrap servers. */
    public static final String KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS";
    /** Configuration key (system property) of the Redis hosts. */
    public static final String REDIS_PROPERTY = "quarkus.redis.hosts";
    /** Environment variable of the Redis hosts. */
    public static final String REDIS_ENV = "QUARKUS_REDIS_HOSTS";
    /**
     * Configuration key set to {@code true} when the embedded broker was started (Kafka not configured): the demo
     * run ({@code faultline.demo.enabled}) defaults to it, so it never publishes to an external cluster.
     */
    public static final String EMBEDDED_KAFKA_PROPERTY = "faultline.embedded.kafka";

    /** Topics of this component created (with their partition counts) when the embedded broker starts. */
    public static final Map<String, Integer> TOPICS = Map.of(
            Topics.EVAL_OUTPUTS, 2,
            Topics.EVAL_OUTPUTS_DLQ, 1);

    /** Partitions per topic on the one-node embedded broker (the declared counts are for clusters). */
    public static final int EMBEDDED_MAX_PARTITIONS = 2;

    private final EmbeddedKafka kafka;
    private final EmbeddedRedis redis;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private LocalServices(EmbeddedKafka kafka, EmbeddedRedis redis) {
        this.kafka = kafka;
        this.redis = redis;
    }

    /** Starts both services, whatever is configured (the tests' choice). */
    public static LocalServices startAll() {
        return start(true, true);
    }

    /**
     * Starts what the environment ({@code env}) and system properties ({@code props}) do not configure: Kafka when
     * neither {@value #KAFKA_ENV} nor {@value #KAFKA_PROPERTY} is set, Redis when neither {@value #REDIS_ENV} nor
     * {@value #REDIS_PROPERTY} is set.
     */
    public static LocalServices startMissing(Function<String, String> env, Function<String, String> props) {
        return start(needsKafka(env, props), needsRedis(env, props));
    }

    /**
     * Why {@link #startMissing} cannot start what the configuration lacks (this build has no embedded stack), or
     * null when it can.
     */
    public static String cannotStartMissing(Function<String, String> env, Function<String, String> props) {
        return unavailable(needsKafka(env, props), needsRedis(env, props));
    }

    private static boolean needsKafka(Function<String, String> env, Function<String, String> props) {
        return blank(env.apply(KAFKA_ENV)) && blank(props.apply(KAFKA_PROPERTY));
    }

    private static boolean needsRedis(Function<String, String> env, Function<String, String> props) {
        return blank(env.apply(REDIS_ENV)) && blank(props.apply(REDIS_PROPERTY));
    }

    /** A class of the embedded broker's libraries (kafka_2.13 and the SmallRye companion); absent in a -Pprod build. */
    static final String KAFKA_BROKER_CLASS = "io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker";
    /** A class of embedded-redis; absent in a -Pprod build. */
    static final String REDIS_SERVER_CLASS = "redis.embedded.RedisServer";

    /** Whether this build carries the embedded broker (the production image's does not). */
    public static boolean kafkaAvailable() {
        return present(KAFKA_BROKER_CLASS) && present("kafka.server.KafkaConfig");
    }

    /** Whether this build carries the embedded Redis server (the production image's does not). */
    public static boolean redisAvailable() {
        return present(REDIS_SERVER_CLASS);
    }

    private static String unavailable(boolean withKafka, boolean withRedis) {
        if (withKafka && !kafkaAvailable()) {
            return "Kafka is not configured (set " + KAFKA_ENV + " or -D" + KAFKA_PROPERTY
                    + ") and this build has no embedded broker (it was packaged with -Pprod)";
        }
        if (withRedis && !redisAvailable()) {
            return "Redis is not configured (set " + REDIS_ENV + " or -D" + REDIS_PROPERTY
                    + ") and this build has no embedded Redis server (it was packaged with -Pprod)";
        }
        return null;
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, LocalServices.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static LocalServices start(boolean withKafka, boolean withRedis) {
        // checked before anything starts, and before EmbeddedKafka/EmbeddedRedis (which link against those
        // libraries) are loaded at all
        String unavailable = unavailable(withKafka, withRedis);
        if (unavailable != null) {
            throw new IllegalStateException(unavailable);
        }
        EmbeddedKafka kafka = null;
        EmbeddedRedis redis = null;
        try {
            if (withKafka) {
                kafka = EmbeddedKafka.start();
                kafka.createTopics(TOPICS);
                kafka.applyDeclaredTopics(EMBEDDED_MAX_PARTITIONS);
            }
            if (withRedis) {
                redis = EmbeddedRedis.start();
            }
            return new LocalServices(kafka, redis);
        } catch (RuntimeException e) {
            if (kafka != null) {
                kafka.close();
            }
            if (redis != null) {
                redis.close();
            }
            throw e;
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /**
     * The configuration pointing at what was started: {@value #KAFKA_PROPERTY} (with {@value #EMBEDDED_KAFKA_PROPERTY}
     * {@code =true}) and/or {@value #REDIS_PROPERTY}.
     */
    public Map<String, String> config() {
        Map<String, String> config = new LinkedHashMap<>();
        if (kafka != null) {
            config.put(KAFKA_PROPERTY, kafka.bootstrapServers());
            config.put(EMBEDDED_KAFKA_PROPERTY, "true");
        }
        if (redis != null) {
            config.put(REDIS_PROPERTY, redis.hosts());
        }
        return config;
    }

    /** The embedded broker's bootstrap address, or null when Kafka is external. */
    public String kafkaBootstrapServers() {
        return kafka == null ? null : kafka.bootstrapServers();
    }

    /** The embedded Redis hosts value, or null when Redis is external. */
    public String redisHosts() {
        return redis == null ? null : redis.hosts();
    }

    /** The embedded Redis server, or null when Redis is external (tests stop and restart it). */
    public EmbeddedRedis redis() {
        return redis;
    }

    public boolean startedAnything() {
        return kafka != null || redis != null;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            if (redis != null) {
                redis.close();
            }
        }
    }
}
