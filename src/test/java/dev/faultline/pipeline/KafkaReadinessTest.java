package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KafkaReadinessTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void anUnreachableBrokerIsDownWithTheReasonInsteadOfHanging() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        try (Admin admin = Admin.create(KafkaReadiness.adminConfig(Map.of("bootstrap.servers", "127.0.0.1:" + port)))) {
            HealthCheckResponse r = KafkaReadiness.check(admin, KafkaReadiness.TIMEOUT_MILLIS);
            assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
            assertThat(r.getName()).isEqualTo("Kafka broker");
            assertThat(r.getData())
                    .hasValueSatisfying(
                            d -> assertThat(String.valueOf(d.get("reason"))).contains("no answer from the brokers"));
        }
    }

    @Test
    void theHealthAdminClientTakesTheSecuritySettings() {
        var p = KafkaReadiness.adminConfig(Map.of(
                "bootstrap.servers",
                "b:9093",
                "security.protocol",
                "SASL_SSL",
                "sasl.mechanism",
                "PLAIN",
                "ssl.truststore.location",
                "/t.p12"));
        assertThat(p)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("ssl.truststore.location", "/t.p12")
                .containsEntry("request.timeout.ms", "800");
    }

    @Test
    void noDownAnswerBeforeAnyProbe() {
        assertThat(new KafkaReadiness().brokerDown()).isNull();
    }
}
