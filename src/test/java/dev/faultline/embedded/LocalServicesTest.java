package dev.faultline.embedded;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class LocalServicesTest {

    @Inject
    RedisDataSource redis;

    @Test
    void embeddedBrokerAcceptsAndServesRecords() {
        try (KafkaCompanion companion = new KafkaCompanion(LocalServicesResource.bootstrapServers())) {
            companion
                    .produceStrings()
                    .fromRecords(new org.apache.kafka.clients.producer.ProducerRecord<>("embedded.smoke", "k", "v"))
                    .awaitCompletion();
            var records =
                    companion.consumeStrings().fromTopics("embedded.smoke", 1).awaitCompletion(Duration.ofSeconds(30));
            assertThat(records.getFirstRecord().value()).isEqualTo("v");
        }
    }

    @Test
    void appTalksToEmbeddedRedis() {
        redis.value(String.class).set("faultline:smoke", "ok");
        assertThat(redis.value(String.class).get("faultline:smoke")).isEqualTo("ok");
        assertThat(LocalServicesResource.redisHosts()).startsWith("redis://127.0.0.1:");
    }

    @Test
    void readinessIsUpWithKafkaAndRedisChecks() {
        String body = given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(body).contains("Kafka broker").contains("faultline-redis");
        given().when()
                .get("/q/health/group/dependencies")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'faultline-result-cache' }.status", equalTo("UP"));
    }

    @Test
    void redisDownIsDegradedNotUnready() {
        LocalServicesResource.stopRedis();
        try {
            given().when()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(200)
                    .body("checks.find { it.name == 'faultline-redis' }.data.redis", equalTo("DOWN"))
                    .body("checks.find { it.name == 'faultline-redis' }.data.degraded", equalTo(true));
            given().when().get("/q/health/live").then().statusCode(200);
            given().when()
                    .get("/q/health/group/dependencies")
                    .then()
                    .statusCode(503)
                    .body("checks.find { it.name == 'faultline-result-cache' }.status", equalTo("DOWN"));
        } finally {
            LocalServicesResource.startRedis();
        }
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> given().when().get("/q/health/group/dependencies").statusCode() == 200);
        given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'faultline-redis' }.data.degraded", equalTo(false));
    }
}
