package dev.faultline.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /q/openapi} describes the REST API with the types the resources answer with, and leaves the HTML pages of
 * {@code /ui} out; refused requests answer {@code {"error": "..."}} with their status.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class ApiDescriptionTest {

    @Test
    void theApiDescriptionHasTheResultSchemasAndNoUiPages() {
        JsonPath api = given().get("/q/openapi?format=json")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        Map<String, Object> paths = api.getMap("paths");
        assertThat(paths)
                .containsKeys(
                        "/api/attributions/{eventId}",
                        "/api/runs",
                        "/api/runs/{runId}/failures",
                        "/api/models/{model}/revisions",
                        "/api/events");
        assertThat(paths.keySet()).noneMatch(p -> p.startsWith("/ui"));
        assertThat(api.getString("paths.'/api/attributions/{eventId}'.get.responses.'200'.content."
                        + "'application/json'.schema.'$ref'"))
                .endsWith("/AttributionResult");
        assertThat(api.getString("paths.'/api/runs/{runId}/failures'.get.responses.'200'.content."
                        + "'application/json'.schema.'$ref'"))
                .contains("Page");
        assertThat(api.getMap("components.schemas")).containsKeys("AttributionResult", "Revision", "Tracked");
    }

    @Test
    void refusedRequestsAnswerAnErrorRecord() {
        given().get("/api/attributions/no-such-event")
                .then()
                .statusCode(404)
                .body("error", equalTo("no result for event 'no-such-event' yet"))
                .body("$", aMapWithSize(1));
        given().get("/api/runs/no-such-run/failures")
                .then()
                .statusCode(404)
                .body("error", equalTo("no run 'no-such-run'"));
        given().get("/api/runs/no-such-run/failures?status=bogus")
                .then()
                .statusCode(400)
                .body("error", startsWith("unknown status 'bogus'"));
        given().get("/api/models/no-such-model/revisions")
                .then()
                .statusCode(404)
                .body("error", equalTo("no revisions or tracked failures of model 'no-such-model'"));
        given().post("/api/models/m/revisions/r/track?step=-1")
                .then()
                .statusCode(400)
                .body("error", equalTo("step must be >= 0"));
        given().get("/api/attributions/no-such-event/graph")
                .then()
                .statusCode(404)
                .body("error", equalTo("no graph for event 'no-such-event' yet"))
                .body("status.state", equalTo("none"));
    }
}
