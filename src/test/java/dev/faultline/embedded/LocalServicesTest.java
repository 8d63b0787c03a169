package dev.faultline.embedded;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;

@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class LocalServicesTest {

    @Inject
    RedisDataSource redis;

    @Test
    void embeddedBrokerAcceptsAndServesRecords() {
        try (KafkaCompanion companion = new KafkaCompanion(LocalServicesResource.bootstrapServers())) {
            companion.produceStrings().fromRecords(
                    new org.apache.kafka.clients.producer.ProducerRecord<>("embedded.smoke", "k", "v")).awaitCompletion();
            var records = companion.consumeStrings().fromTopics("embedded.smoke", 1).awaitCompletion(Duration.ofSeconds(30));
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
        String body = given().when().get("/q/health/ready").then().statusCode(200).extract().asString();
        assertThat(body).contains("Kafka").containsIgnoringCase("redis");
    }
}
