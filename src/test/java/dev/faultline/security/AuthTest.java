package dev.faultline.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.api.ui.UiResults;
import dev.faultline.channels.Topics;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.EvalOutput;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.pipeline.GraphJobs;
import dev.faultline.replay.HttpEventSink;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.util.KeyUtils;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The service with tokens required, on the real embedded broker and Redis: tokens signed with the test key pair in
 * {@code src/test/resources/security} (used nowhere else). Every write endpoint (found by scanning the resources)
 * answers 401 without a token and 403 to a role that may not call it; the right role passes; {@code viewer} reads the
 * API and the web view, its live stream included; the demo-run and graph-job quotas answer 429 and queued work can be
 * cancelled.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
@TestProfile(AuthTest.Profile.class)
class AuthTest {

    static final String ISSUER = "https://faultline.test/issuer";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "faultline.auth.enabled",
                    "true",
                    "mp.jwt.verify.publickey.location",
                    "security/publicKey.pem",
                    "mp.jwt.verify.issuer",
                    ISSUER,
                    "faultline.graph.max-queued",
                    "1",
                    "faultline.demo.max-runs",
                    "2");
        }
    }

    /** A write endpoint: a request that reaches it (path with harmless parameters), its route and the role it needs. */
    record Write(String method, String path, String route, String role) {}

    static final List<Write> WRITES = List.of(
            new Write("POST", "/api/events", "/api/events", Access.PRODUCER),
            new Write("POST", "/api/demo/runs?count=0", "/api/demo/runs", Access.OPERATOR),
            new Write("DELETE", "/api/demo/runs/no-such-run", "/api/demo/runs/{runId}", Access.OPERATOR),
            new Write(
                    "POST",
                    "/api/attributions/no-such-event/graph",
                    "/api/attributions/{eventId}/graph",
                    Access.OPERATOR),
            new Write(
                    "DELETE",
                    "/api/attributions/no-such-event/graph",
                    "/api/attributions/{eventId}/graph",
                    Access.OPERATOR),
            new Write(
                    "POST",
                    "/api/models/m/revisions/r/track?step=-1",
                    "/api/models/{model}/revisions/{revision}/track",
                    Access.OPERATOR),
            new Write("POST", "/api/compare/track", "/api/compare/track", Access.OPERATOR));

    static final List<String> ROLES = List.of(Access.PRODUCER, Access.OPERATOR, Access.VIEWER);

    private static final String EVENT = """
            {"schema": "faultline.eval-output/v1", "event_id": "auth-1", "run_id": "run-auth",
             "model": {"name": "tiny", "revision": "main"}, "benchmark": "b", "example_id": "x",
             "prompt": "Q: 6*12? A:", "output": "72", "references": ["72"], "scoring": {"method": "numeric"},
             "produced_at": "2026-11-24T12:00:00Z"}
            """;

    @TestHTTPResource("/")
    URI root;

    @Inject
    AttributionEngine engine;

    @Inject
    GraphJobs graphJobs;

    static String token(String... groups) {
        return token(ISSUER, 600, key(), groups);
    }

    static String token(String issuer, long expiresInSeconds, PrivateKey key, String... groups) {
        return Jwt.issuer(issuer)
                .upn("auth-test")
                .groups(Set.of(groups))
                .expiresIn(expiresInSeconds)
                .sign(key);
    }

    static PrivateKey key() {
        try {
            return KeyUtils.readPrivateKey("security/privateKey.pem");
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static RequestSpecification as(String... groups) {
        return given().auth().oauth2(token(groups));
    }

    static Response send(RequestSpecification spec, Write w) {
        RequestSpecification s = w.path().equals("/api/events") || w.path().equals("/api/compare/track")
                ? spec.contentType("application/json").body("{}")
                : spec;
        return s.request(w.method(), w.path());
    }

    @Test
    void everyWriteEndpointOfTheResourcesIsCovered() throws IOException {
        Set<String> found = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("target/classes/dev/faultline/api"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = Path.of("target/classes")
                        .relativize(f)
                        .toString()
                        .replace('/', '.')
                        .replaceAll("\\.class$", "");
                Class<?> c;
                try {
                    c = Class.forName(name, false, getClass().getClassLoader());
                } catch (ClassNotFoundException | LinkageError e) {
                    continue;
                }
                jakarta.ws.rs.Path base = c.getAnnotation(jakarta.ws.rs.Path.class);
                if (base == null) {
                    continue;
                }
                for (Method m : c.getDeclaredMethods()) {
                    String verb = m.isAnnotationPresent(POST.class)
                            ? "POST"
                            : m.isAnnotationPresent(PUT.class)
                                    ? "PUT"
                                    : m.isAnnotationPresent(DELETE.class)
                                            ? "DELETE"
                                            : m.isAnnotationPresent(PATCH.class) ? "PATCH" : null;
                    if (verb != null) {
                        jakarta.ws.rs.Path sub = m.getAnnotation(jakarta.ws.rs.Path.class);
                        String route = (base.value() + (sub == null ? "" : sub.value()))
                                .replaceAll("\\{(\\w+)\\s*:[^}]*}", "{$1}");
                        found.add(verb + " " + route);
                    }
                }
            }
        }
        assertThat(found)
                .as("write endpoints of dev.faultline.api")
                .isNotEmpty()
                .containsExactlyInAnyOrderElementsOf(
                        WRITES.stream().map(w -> w.method() + " " + w.route()).toList());
    }

    @Test
    void aMissingTokenIs401OnEveryWriteEndpoint() {
        for (Write w : WRITES) {
            send(given(), w).then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"));
        }
    }

    @Test
    void aWrongRoleIs403OnEveryWriteEndpoint() {
        for (Write w : WRITES) {
            for (String role : ROLES) {
                if (!role.equals(w.role())) {
                    assertThat(send(as(role), w).statusCode())
                            .as(role + " " + w.method() + " " + w.path())
                            .isEqualTo(403);
                }
            }
        }
    }

    @Test
    void theRightRolePassesOnEveryWriteEndpoint() {
        for (Write w : WRITES) {
            int status = send(as(w.role()), w).statusCode();
            assertThat(status).as(w.role() + " " + w.method() + " " + w.path()).isNotIn(401, 403);
        }
        as(Access.PRODUCER)
                .contentType("application/json")
                .body(EVENT)
                .post("/api/events")
                .then()
                .statusCode(202)
                .body("event_id", equalTo("auth-1"));
        // a token may carry several roles
        as(Access.VIEWER, Access.PRODUCER)
                .contentType("application/json")
                .body("{}")
                .post("/api/events")
                .then()
                .statusCode(400);
    }

    @Test
    void viewerReadsTheApiAndTheWebViewButCannotWrite() throws Exception {
        for (String path : List.of("/ui", "/api/runs", "/api/demo/runs", "/q/openapi")) {
            as(Access.VIEWER).get(path).then().statusCode(200);
        }
        as(Access.OPERATOR).get("/api/runs").then().statusCode(200);
        as(Access.VIEWER).get("/ui/runs/no-such-run").then().statusCode(404); // reached the page, which has no run
        given().get("/ui").then().statusCode(401);
        given().get("/api/runs").then().statusCode(401);
        as(Access.PRODUCER).get("/api/runs").then().statusCode(403); // producers post, they do not read
        assertThat(stream(null)).isEqualTo(401);
        assertThat(stream(token(Access.PRODUCER))).isEqualTo(403);
        assertThat(stream(token(Access.VIEWER))).isEqualTo(200);
        as(Access.VIEWER).post("/api/demo/runs?count=1").then().statusCode(403);
        as(Access.VIEWER).post("/api/attributions/x/graph").then().statusCode(403);
    }

    /** Status of {@code GET /ui/stream} (server-sent events: the body never ends, only the head is read). */
    private int stream(String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(root.resolve("/ui/stream"))
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> r =
                HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        r.body().close();
        return r.statusCode();
    }

    @Test
    void replayPostsWithTheTokenItIsGiven() throws Exception {
        String json = EVENT.replace("auth-1", "auth-replay-1");
        EvalOutput event = new ObjectMapper().readValue(json, EvalOutput.class);
        HttpEventSink withToken = new HttpEventSink(root.toString(), token(Access.PRODUCER));
        withToken.send(event, json);
        assertThat(withToken.failures().count())
                .as(String.valueOf(withToken.failures().firstReason()))
                .isZero();
        HttpEventSink without = new HttpEventSink(root.toString(), null);
        without.send(event, json);
        assertThat(without.failures().count()).isEqualTo(1);
        assertThat(without.failures().firstReason()).contains("HTTP 401");
    }

    @Test
    void healthMetricsAndTheApiDescriptionStayOpen() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        given().get("/q/openapi?format=json")
                .then()
                .statusCode(200)
                .body("components.securitySchemes.SecurityScheme.type", equalTo("http"))
                .body("components.securitySchemes.SecurityScheme.scheme", equalTo("bearer"));
    }

    @Test
    void forgedExpiredAndForeignTokensAre401() throws Exception {
        PrivateKey other = KeyUtils.generateKeyPair(2048).getPrivate();
        for (String bad : List.of(
                token(ISSUER, 600, other, Access.VIEWER),
                token("https://elsewhere.test", 600, key(), Access.VIEWER),
                token(ISSUER, -600, key(), Access.VIEWER),
                "not-a-jwt")) {
            given().auth().oauth2(bad).get("/api/runs").then().statusCode(401);
        }
    }

    @Test
    void demoRunsAreCappedQueuedAtMostTwiceAndCancellable() {
        as(Access.OPERATOR)
                .post("/api/demo/runs?count=10001")
                .then()
                .statusCode(400)
                .body("error", containsString("count"));
        as(Access.OPERATOR)
                .post("/api/demo/runs?count=5&rate=201")
                .then()
                .statusCode(400)
                .body("error", containsString("rate"));
        // 0.01 events/s: the first run publishes one event, then waits 100 s for the next; the second waits behind it
        String a = as(Access.OPERATOR)
                .post("/api/demo/runs?count=1000&rate=0.01")
                .then()
                .statusCode(202)
                .extract()
                .path("run_id");
        String b = as(Access.OPERATOR)
                .post("/api/demo/runs?count=1000&rate=0.01")
                .then()
                .statusCode(202)
                .extract()
                .path("run_id");
        String d = null;
        try {
            Response full = as(Access.OPERATOR).post("/api/demo/runs?count=10&rate=0.01");
            assertThat(full.statusCode()).isEqualTo(429);
            assertThat(full.jsonPath().getString("error")).contains("max-runs=2");
            assertThat(Integer.parseInt(full.header("Retry-After"))).isPositive();

            as(Access.VIEWER).delete("/api/demo/runs/" + b).then().statusCode(403);
            as(Access.OPERATOR)
                    .delete("/api/demo/runs/" + b)
                    .then()
                    .statusCode(200)
                    .body("state", equalTo("cancelled"));
            d = as(Access.OPERATOR)
                    .post("/api/demo/runs?count=10&rate=0.01")
                    .then()
                    .statusCode(202)
                    .extract()
                    .path("run_id");
            as(Access.OPERATOR).delete("/api/demo/runs/no-such-run").then().statusCode(404);
        } finally {
            for (String id : new String[] {a, b, d}) {
                if (id != null) {
                    as(Access.OPERATOR).delete("/api/demo/runs/" + id).then().statusCode(200);
                }
            }
        }
        org.awaitility.Awaitility.await("cancelled runs end")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    List<Map<String, Object>> runs =
                            as(Access.VIEWER).get("/api/demo/runs").jsonPath().getList("$");
                    return runs.stream()
                            .filter(r -> Set.of(a, b).contains(r.get("run_id")))
                            .allMatch(r -> "cancelled".equals(r.get("state")));
                });
        List<Map<String, Object>> runs =
                as(Access.VIEWER).get("/api/demo/runs").jsonPath().getList("$");
        Map<String, Object> first =
                runs.stream().filter(r -> a.equals(r.get("run_id"))).findFirst().orElseThrow();
        assertThat(((Number) first.get("published")).intValue())
                .as("run %s stopped within its wait", a)
                .isLessThanOrEqualTo(1);
    }

    @Test
    void graphJobsBeyondTheQueueAre429AndAQueuedOneCanBeCancelled() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> ids = List.of("auth/graph-a", "auth/graph-b", "auth/graph-c");
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (String id : ids) {
                AttributionResult r = UiResults.attributed(id, "auth/graph-run", "faultline-demo", "main", null);
                producer.send(new ProducerRecord<>(Topics.ATTRIBUTION_RESULTS, id, json.writeValueAsString(r)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
        for (String id : ids) {
            org.awaitility.Awaitility.await("result " + id + " served")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() ->
                            as(Access.VIEWER).get("/api/attributions/" + id).statusCode() == 200);
        }
        // hold the engine's worker: the first job starts and waits there, the next one waits in the queue
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService holder = Executors.newSingleThreadExecutor();
        try {
            holder.submit(() -> engine.execute(() -> {
                held.countDown();
                release.await();
                return null;
            }));
            assertThat(held.await(60, TimeUnit.SECONDS)).isTrue();
            as(Access.OPERATOR)
                    .post("/api/attributions/" + ids.get(0) + "/graph")
                    .then()
                    .statusCode(202);
            org.awaitility.Awaitility.await("first job taken from the queue")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> graphJobs.queued() == 0);
            as(Access.OPERATOR)
                    .post("/api/attributions/" + ids.get(1) + "/graph")
                    .then()
                    .statusCode(202)
                    .body("state", equalTo("queued"));
            Response full = as(Access.OPERATOR).post("/api/attributions/" + ids.get(2) + "/graph");
            assertThat(full.statusCode()).isEqualTo(429);
            assertThat(full.jsonPath().getString("error")).contains("max-queued=1");
            assertThat(full.header("Retry-After")).isEqualTo("10");

            as(Access.OPERATOR)
                    .delete("/api/attributions/" + ids.get(1) + "/graph")
                    .then()
                    .statusCode(200)
                    .body("state", equalTo("cancelled"));
            as(Access.VIEWER)
                    .get("/api/attributions/" + ids.get(1) + "/graph/status")
                    .then()
                    .statusCode(200)
                    .body("state", equalTo("cancelled"));
            as(Access.OPERATOR)
                    .delete("/api/attributions/" + ids.get(0) + "/graph")
                    .then()
                    .statusCode(409);
            as(Access.OPERATOR)
                    .delete("/api/attributions/no-such-event/graph")
                    .then()
                    .statusCode(404);
            assertThat(graphJobs.queued()).isZero();
            as(Access.OPERATOR)
                    .post("/api/attributions/" + ids.get(2) + "/graph")
                    .then()
                    .statusCode(202)
                    .body("state", equalTo("queued"));
        } finally {
            release.countDown();
            holder.shutdown();
        }
    }
}
