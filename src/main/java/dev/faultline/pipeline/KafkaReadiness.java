package dev.faultline.pipeline;

import dev.faultline.config.KafkaClients;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code Kafka broker} in readiness: UP with the broker nodes when the cluster answers a describe within
 * {@value #TIMEOUT_MILLIS} ms, else DOWN with the reason, so the probe answers in about a second whether or not the
 * broker is there (an unbounded describe waits for the admin client's 60 s default). The last answer also tells
 * {@code POST /api/events} to refuse at once ({@link #brokerDown()}) instead of queueing events for a broker that is
 * gone. One admin client, built from the shared {@code kafka.*} settings ({@link KafkaClients}).
 */
@Readiness
@ApplicationScoped
public class KafkaReadiness implements HealthCheck {

    static final int TIMEOUT_MILLIS = 800;
    /** How long a DOWN answer counts for {@link #brokerDown()} before the next probe must confirm it. */
    static final long DOWN_VALID_MILLIS = 15_000;

    @Inject
    Config config;

    private volatile Admin admin;
    private volatile long downAtMillis;
    private volatile String downReason;

    @Override
    public HealthCheckResponse call() {
        Admin a;
        try {
            a = admin();
        } catch (RuntimeException e) {
            return down("no admin client: " + e.getMessage());
        }
        HealthCheckResponse r = check(a, TIMEOUT_MILLIS);
        if (r.getStatus() == HealthCheckResponse.Status.UP) {
            downAtMillis = 0;
            downReason = null;
        } else {
            downReason = r.getData().map(d -> String.valueOf(d.get("reason"))).orElse("unreachable");
            downAtMillis = System.currentTimeMillis();
        }
        return r;
    }

    /** The broker's reason when the last probe, at most {@link #DOWN_VALID_MILLIS} ago, found it unreachable. */
    public String brokerDown() {
        long at = downAtMillis;
        return at != 0 && System.currentTimeMillis() - at < DOWN_VALID_MILLIS ? downReason : null;
    }

    /** Describes the cluster through {@code admin}, waiting at most {@code timeoutMillis}. */
    static HealthCheckResponse check(Admin admin, int timeoutMillis) {
        try {
            Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMillis))
                    .nodes()
                    .get(timeoutMillis + 200L, TimeUnit.MILLISECONDS);
            return HealthCheckResponse.named("Kafka broker")
                    .up()
                    .withData(
                            "nodes",
                            nodes.stream().map(n -> n.host() + ":" + n.port()).collect(Collectors.joining(",")))
                    .build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return down("interrupted");
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return down("no answer from the brokers within " + timeoutMillis + " ms: " + cause);
        }
    }

    private static HealthCheckResponse down(String reason) {
        return HealthCheckResponse.named("Kafka broker")
                .down()
                .withData("reason", reason)
                .build();
    }

    /** The admin client's properties: the shared {@code kafka.*} settings and short time-outs. */
    public static Properties adminConfig(Map<String, String> kafka) {
        return KafkaClients.properties(
                kafka,
                Map.of(
                        AdminClientConfig.CLIENT_ID_CONFIG,
                        "faultline-health",
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        String.valueOf(TIMEOUT_MILLIS),
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        String.valueOf(TIMEOUT_MILLIS),
                        AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG,
                        "1000"));
    }

    private Admin admin() {
        Admin a = admin;
        if (a == null) {
            synchronized (this) {
                a = admin;
                if (a == null) {
                    a = Admin.create(adminConfig(KafkaClients.fromConfig(config)));
                    admin = a;
                }
            }
        }
        return a;
    }

    @PreDestroy
    void close() {
        Admin a = admin;
        if (a != null) {
            a.close(Duration.ofSeconds(1));
        }
    }
}
