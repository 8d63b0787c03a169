package dev.faultline.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The service with no broker and no Redis behind it: readiness answers (DOWN, with the reason) rather than hanging,
 * Redis is reported degraded, and an event is refused with 503 and Retry-After. The HTTP client gives up after 20 s,
 * a bound far above the second the checks take and far below the minute an unbounded describe waits.
 */
@QuarkusTest
@TestProfile(BrokerDownTest.Profile.class)
class BrokerDownTest {

    private static final String EVENT = """
            {"schema": "faultline.eval-output/v1", "event_id": "down-1", "run_id": "run-down",
             "model": {"name": "tiny", "revision": "main"}, "benchmark": "b", "example_id": "x",
             "prompt": "Q: 6*12? A:", "output": "72", "references": ["72"], "scoring": {"method": "numeric"},
             "produced_at": "2026-11-24T12:00:00Z"}
            """;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> c = new java.util.HashMap<>(Map.of(
                    "kafka.bootstrap.servers",
                    "127.0.0.1:" + deadPort(),
                    "quarkus.redis.hosts",
                    "redis://127.0.0.1:" + deadPort(),
                    "faultline.api.publish-timeout",
                    "3s",
                    "faultline.tracking.enabled",
                    "false"));
            // producers that never reached a broker: do not wait out the default close time-out at shutdown
            for (String ch : java.util.List.of(
                    "eval-outputs-out",
                    "eval-outputs-dlq",
                    "attribution-jobs-out",
                    "attribution-jobs-dlq",
                    "attribution-results-out",
                    "attribution-graphs-out",
                    "attribution-requests-out",
                    "attribution-trajectories-out")) {
                c.put("mp.messaging.outgoing." + ch + ".close-timeout", "500");
            }
            return c;
        }
    }

    static int deadPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RestAssuredConfig bounded() {
        return RestAssuredConfig.config()
                .httpClient(HttpClientConfig.httpClientConfig()
                        .setParam("http.socket.timeout", 20_000)
                        .setParam("http.connection.timeout", 20_000));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void readinessAnswersDownWithTheReasonAndRedisIsDegraded() {
        given().config(bounded())
                .when()
                .get("/q/health/ready")
                .then()
                .statusCode(503)
                .body("checks.find { it.name == 'Kafka broker' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'Kafka broker' }.data.reason", containsString("no answer"))
                .body("checks.find { it.name == 'faultline-redis' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'faultline-redis' }.data.degraded", equalTo(true));
        given().config(bounded()).when().get("/q/health/live").then().statusCode(200);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anEventIsRefusedWith503AndRetryAfter() {
        given().config(bounded())
                .contentType("application/json")
                .body(EVENT)
                .when()
                .post("/api/events")
                .then()
                .statusCode(503)
                .header("Retry-After", "5")
                .body("error", equalTo("broker_unavailable"));
    }
}
