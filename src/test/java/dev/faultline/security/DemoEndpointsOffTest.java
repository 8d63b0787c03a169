package dev.faultline.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With the demo endpoints off (as against an external cluster, where they are off unless enabled), every
 * {@code /api/demo/runs} call is 404 and no demo run starts; the rest of the API answers as usual.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
@TestProfile(DemoEndpointsOffTest.Profile.class)
class DemoEndpointsOffTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("faultline.demo.endpoints", "false");
        }
    }

    @Test
    void demoEndpointsAnswer404() {
        given().post("/api/demo/runs?count=5&rate=1").then().statusCode(404).body("error", containsString("demo"));
        given().get("/api/demo/runs").then().statusCode(404);
        given().delete("/api/demo/runs/faultline-demo/main/addition-1").then().statusCode(404);
        given().get("/api/runs").then().statusCode(200);
    }
}
