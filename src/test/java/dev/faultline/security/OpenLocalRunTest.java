package dev.faultline.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * The open local run (embedded Kafka, the tests' default): no call needs a token, a token that is sent is ignored
 * rather than checked (no key is configured), and the demo endpoints exist.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class OpenLocalRunTest {

    @Inject
    AccessMode mode;

    @Test
    void noTokenIsNeeded() {
        assertThat(mode.tokensRequired()).isFalse();
        given().get("/api/runs").then().statusCode(200);
        given().get("/ui").then().statusCode(200);
        given().post("/api/attributions/no-such-event/graph").then().statusCode(404);
        given().get("/api/demo/runs").then().statusCode(200);
    }

    @Test
    void aTokenSentToTheOpenRunIsIgnored() {
        given().auth().oauth2("not-a-jwt").get("/api/runs").then().statusCode(200);
        given().auth().oauth2("not-a-jwt").post("/api/demo/runs?count=0").then().statusCode(400);
    }
}
