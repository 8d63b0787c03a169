package dev.faultline.config;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.eclipse.microprofile.config.Config;

/**
 * The connection settings every Kafka client shares, channel or hand-built: where the cluster is
 * ({@code bootstrap.servers}, {@code client.dns.lookup}) and how to authenticate and encrypt ({@code security.protocol},
 * {@code sasl.*}, {@code ssl.*}). Channels get them from the connector's {@code kafka.*} configuration; clients built
 * by hand (the result reader, the trajectory topic check, {@code replay}, {@code topics}) take them from here, so a
 * SASL or TLS cluster configured once works for all of them.
 */
public final class KafkaClients {

    private KafkaClients() {}

    /** Whether {@code key} (a Kafka client setting, without the {@code kafka.} prefix) is shared by every client. */
    public static boolean isShared(String key) {
        return key.equals("bootstrap.servers")
                || key.equals("security.protocol")
                || key.equals("client.dns.lookup")
                || key.startsWith("sasl.")
                || key.startsWith("ssl.");
    }

    /** Prefix of the Kafka connector's own attributes, which every channel inherits (properties form). */
    static final String CONNECTOR_PREFIX = "mp.messaging.connector.smallrye-kafka.";

    /** The same prefix as the environment spells it, lower-cased. */
    private static final String CONNECTOR_ENV_PREFIX = "mp_messaging_connector_smallrye_kafka_";

    /**
     * The {@code kafka.*} settings of {@code config} as Kafka client keys, read the way the Kafka connector reads
     * them: {@code kafka.sasl.mechanism} and the environment's {@code KAFKA_SASL_MECHANISM} both give
     * {@code sasl.mechanism}. The shared settings given at the connector's level
     * ({@code mp.messaging.connector.smallrye-kafka.sasl.mechanism}, {@code MP_MESSAGING_CONNECTOR_SMALLRYE_KAFKA_...})
     * reach every channel and override {@code kafka.*} there, so they do here too.
     */
    public static Map<String, String> fromConfig(Config config) {
        Map<String, String> out = new TreeMap<>();
        Map<String, String> connector = new TreeMap<>();
        for (String name : config.getPropertyNames()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if ((lower.startsWith("kafka.") || lower.startsWith("kafka_")) && lower.length() > 6) {
                put(config, name, lower.substring(6).replace('_', '.'), out);
            } else if (lower.startsWith(CONNECTOR_PREFIX) || lower.startsWith(CONNECTOR_ENV_PREFIX)) {
                String key = lower.substring(CONNECTOR_PREFIX.length()).replace('_', '.');
                if (isShared(key)) {
                    put(config, name, key, connector);
                }
            }
        }
        out.putAll(connector);
        return out;
    }

    private static void put(Config config, String name, String key, Map<String, String> into) {
        try {
            config.getOptionalValue(name, String.class).ifPresent(v -> into.put(key, v));
        } catch (RuntimeException e) {
            // a value that does not resolve (an undefined ${...}) is left out, as if absent
        }
    }

    /** The shared settings among {@code settings} (Kafka client keys). */
    public static Map<String, String> shared(Map<?, ?> settings) {
        Map<String, String> out = new TreeMap<>();
        settings.forEach((k, v) -> {
            String key = String.valueOf(k);
            if (v != null && isShared(key)) {
                out.put(key, String.valueOf(v));
            }
        });
        return out;
    }

    /**
     * Properties for one hand-built client: the shared settings of {@code settings}, then the client's own
     * {@code clientSpecific} ones (serializers, timeouts) on top.
     */
    public static Properties properties(Map<?, ?> settings, Map<String, ?> clientSpecific) {
        Properties p = new Properties();
        p.putAll(shared(settings));
        clientSpecific.forEach((k, v) -> p.put(k, String.valueOf(v)));
        return p;
    }

    /**
     * A command-line client's properties: the shared settings the service reads from the environment {@code env}
     * (the same names: {@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_JAAS_CONFIG}, the connector-level
     * {@code MP_MESSAGING_CONNECTOR_SMALLRYE_KAFKA_...}), then every key of the {@code --command-config} file on top.
     * The caller sets the bootstrap servers it was given last.
     */
    public static Properties commandLine(Map<String, String> env, Path commandConfig) {
        Properties p = new Properties();
        p.putAll(shared(fromConfig(new SmallRyeConfigBuilder()
                .withSources(new EnvConfigSource(env, EnvConfigSource.ORDINAL))
                .build())));
        p.putAll(commandConfig(commandConfig));
        return p;
    }

    /** The properties of a Kafka CLI style {@code --command-config} file (every key kept), empty for null. */
    public static Properties commandConfig(Path file) {
        Properties p = new Properties();
        if (file != null) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --command-config " + file + ": " + e.getMessage());
            }
        }
        return p;
    }
}
