package dev.faultline.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which embedded services the default run starts, depending on the environment and system properties. */
class LocalServicesSelectionTest {

    @Test
    void startsNothingWhenBothAreConfigured() {
        Map<String, String> env = Map.of(LocalServices.KAFKA_ENV, "kafka:9092");
        Map<String, String> props = Map.of(LocalServices.REDIS_PROPERTY, "redis://redis:6379");
        try (LocalServices local = LocalServices.startMissing(env::get, props::get)) {
            assertThat(local.startedAnything()).isFalse();
            assertThat(local.config()).isEmpty();
        }
    }

    @Test
    void startsARealRedisWhenOnlyKafkaIsConfigured() throws Exception {
        Map<String, String> props = Map.of(LocalServices.KAFKA_PROPERTY, "kafka:9092");
        try (LocalServices local = LocalServices.startMissing(k -> null, props::get)) {
            assertThat(local.config()).containsOnlyKeys(LocalServices.REDIS_PROPERTY);
            assertThat(local.kafkaBootstrapServers()).isNull();
            URI uri = URI.create(local.redisHosts());
            try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
                OutputStream out = socket.getOutputStream();
                out.write("SET k v\r\nGET k\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[64];
                StringBuilder got = new StringBuilder();
                while (!got.toString().contains("v\r\n")) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    got.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
                }
                assertThat(got.toString()).startsWith("+OK\r\n$1\r\nv\r\n");
            }
        }
    }
}
