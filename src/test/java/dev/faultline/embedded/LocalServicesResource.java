package dev.faultline.embedded;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Starts a real embedded Kafka broker and Redis server for the {@code @QuarkusTest}s. Every Quarkus test class uses
 * {@code @WithTestResource(LocalServicesResource.class)} (the same set, so Quarkus starts once); test clients connect
 * with {@code new KafkaCompanion(LocalServicesResource.bootstrapServers())}.
 */
public class LocalServicesResource implements QuarkusTestResourceLifecycleManager {

    private static volatile LocalServices services;

    @Override
    public Map<String, String> start() {
        services = LocalServices.startAll();
        return services.config();
    }

    @Override
    public void stop() {
        if (services != null) {
            services.close();
        }
    }

    /** The embedded broker's {@code host:port}, for test clients. */
    public static String bootstrapServers() {
        if (services == null) {
            throw new IllegalStateException("LocalServicesResource has not started");
        }
        return services.kafkaBootstrapServers();
    }

    /** Creates the given topics (name to partition count) on the embedded broker where they do not exist yet. */
    public static void createTopics(Map<String, Integer> partitionsByTopic) {
        EmbeddedKafka.createTopics(bootstrapServers(), partitionsByTopic);
    }

    /** The embedded Redis {@code redis://host:port}, for test clients. */
    public static String redisHosts() {
        if (services == null) {
            throw new IllegalStateException("LocalServicesResource has not started");
        }
        return services.redisHosts();
    }

    /** Stops the embedded Redis server (same port kept) to test a Redis outage; {@link #startRedis()} undoes it. */
    public static void stopRedis() {
        services.redis().stopServer();
    }

    /** Starts the embedded Redis server again after {@link #stopRedis()} (empty: it keeps no data). */
    public static void startRedis() {
        services.redis().restartServer();
    }
}
