package dev.faultline.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.demo.DemoRuns;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The access rules and mode switches as plain functions: which role a request needs, and when tokens are required. */
class AccessRulesTest {

    @ParameterizedTest
    @CsvSource({
        "GET, /q/health/ready, OPEN",
        "GET, /q/metrics, OPEN",
        "GET, /q/openapi, OPEN",
        "GET, /assets/runs.js, OPEN",
        "POST, /api/events, PRODUCE",
        "POST, /api/demo/runs, OPERATE",
        "DELETE, /api/demo/runs/faultline-demo/main/addition-1, OPERATE",
        "POST, /api/attributions/e-1/graph, OPERATE",
        "DELETE, /api/attributions/e-1/graph, OPERATE",
        "POST, /api/models/m/revisions/r/track, OPERATE",
        "PUT, /api/runs, OPERATE",
        "GET, /api/runs, READ",
        "GET, /api/demo/runs, READ",
        "HEAD, /api/attributions/e-1, READ",
        "GET, /ui, READ",
        "GET, /ui/stream, READ",
        "POST, /ui/runs/x, OPERATE",
        "GET, /, CLOSED",
        "GET, /q/dev-ui, CLOSED",
        "GET, /apiary, CLOSED",
        "GET, /q/healthz, CLOSED",
    })
    void eachRequestNeedsItsRole(String method, String path, Access expected) {
        assertThat(Access.of(method, path)).isEqualTo(expected);
    }

    @Test
    void rolesAllowWhatTheyNameAndNoMore() {
        Map<Access, Set<String>> allowed = Map.of(
                Access.PRODUCE,
                Set.of("producer"),
                Access.READ,
                Set.of("viewer", "operator"),
                Access.OPERATE,
                Set.of("operator"),
                Access.CLOSED,
                Set.of());
        for (Map.Entry<Access, Set<String>> e : allowed.entrySet()) {
            for (String role : Set.of("producer", "viewer", "operator", "admin")) {
                assertThat(e.getKey().allows(Set.of(role)))
                        .as(e.getKey() + " for " + role)
                        .isEqualTo(e.getValue().contains(role));
            }
            assertThat(e.getKey().allows(Set.of()))
                    .as(e.getKey() + " without roles")
                    .isFalse();
        }
        assertThat(Access.OPEN.allows(Set.of())).isTrue();
        assertThat(Access.OPERATE.allows(Set.of("viewer", "operator"))).isTrue();
    }

    @Test
    void tokensAreRequiredWithExternalKafkaUnlessTurnedOff() {
        assertThat(AccessMode.tokensRequired(Optional.empty(), false)).isTrue();
        assertThat(AccessMode.tokensRequired(Optional.empty(), true)).isFalse();
        assertThat(AccessMode.tokensRequired(Optional.of(false), false)).isFalse();
        assertThat(AccessMode.tokensRequired(Optional.of(true), true)).isTrue();
    }

    @Test
    void theDefaultLocalRunBindsLoopbackUnlessAHostIsConfigured() {
        Map<String, String> none = Map.of();
        assertThat(LocalBinding.host(none::get, none::get, true)).contains("127.0.0.1");
        assertThat(LocalBinding.host(none::get, none::get, false)).isEmpty();
        Map<String, String> env = Map.of("QUARKUS_HTTP_HOST", "0.0.0.0");
        assertThat(LocalBinding.host(env::get, none::get, true)).isEmpty();
        Map<String, String> props = Map.of("quarkus.http.host", "10.0.0.5");
        assertThat(LocalBinding.host(none::get, props::get, true)).isEmpty();
    }

    @Test
    void demoEndpointsExistLocallyOrWhenEnabled() {
        assertThat(DemoRuns.endpointsOn(Optional.empty(), true, false)).isTrue();
        assertThat(DemoRuns.endpointsOn(Optional.empty(), false, false)).isFalse();
        assertThat(DemoRuns.endpointsOn(Optional.empty(), false, true)).isTrue();
        assertThat(DemoRuns.endpointsOn(Optional.of(true), false, false)).isTrue();
        assertThat(DemoRuns.endpointsOn(Optional.of(false), true, true)).isFalse();
    }
}
