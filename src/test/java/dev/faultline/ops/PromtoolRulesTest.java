package dev.faultline.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The alert rules with promtool: they load, their unit tests (each alert firing and not firing) pass, and every
 * PromQL expression of the dashboards parses.
 */
class PromtoolRulesTest {

    @BeforeAll
    static void needPromtool() {
        assumeTrue(
                DeployFiles.onPath("promtool"),
                "promtool not installed (apt-get install prometheus; .ci/run does it): skipping the rule checks");
    }

    @Test
    void rulesFileLoads() {
        DeployFiles.Run r = DeployFiles.exec(List.of("promtool", "check", "rules", DeployFiles.RULES.toString()));
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void alertUnitTestsPass() {
        DeployFiles.Run r =
                DeployFiles.exec(List.of("promtool", "test", "rules", "grafana/alerts/faultline-rules.test.yaml"));
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAFiringAndAQuietUnitTest() {
        Set<String> alerts = new TreeSet<>();
        DeployFiles.ruleExprs().stream()
                .map(DeployFiles.Expr::source)
                .filter(s -> s.startsWith("rule Faultline"))
                .forEach(s -> alerts.add(s.substring("rule ".length())));
        Set<String> firing = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (var test : DeployFiles.yaml(Path.of("grafana/alerts/faultline-rules.test.yaml"))
                .path("tests")) {
            for (var a : test.path("alert_rule_test")) {
                (a.path("exp_alerts").isEmpty() ? quiet : firing)
                        .add(a.path("alertname").asText());
            }
        }
        assertThat(alerts).isNotEmpty();
        assertThat(firing).as("alerts with a firing test").containsAll(alerts);
        assertThat(quiet).as("alerts with a not-firing test").containsAll(alerts);
    }

    @Test
    void everyDashboardExpressionParses() throws IOException {
        List<DeployFiles.Expr> exprs = DeployFiles.dashboardExprs();
        assertThat(exprs).hasSizeGreaterThan(20);
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboards\n    rules:\n");
        for (int i = 0; i < exprs.size(); i++) {
            rules.append("      - record: dashboard_expr_")
                    .append(i)
                    .append('\n')
                    .append("        expr: ")
                    .append(DeployFiles.JSON.writeValueAsString(
                            DeployFiles.withoutGrafanaVariables(exprs.get(i).expr())))
                    .append('\n');
        }
        Path file = Files.createTempFile("dashboard-exprs", ".yaml");
        try {
            Files.writeString(file, rules);
            DeployFiles.Run r = DeployFiles.exec(List.of("promtool", "check", "rules", file.toString()));
            assertThat(r.code())
                    .as(r.output() + "\nexpressions:\n" + numbered(exprs))
                    .isZero();
            assertThat(r.output()).contains(exprs.size() + " rules found");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aBrokenExpressionIsCaught() throws IOException {
        Path file = Files.createTempFile("broken", ".yaml");
        try {
            Files.writeString(
                    file,
                    "groups:\n  - name: x\n    rules:\n      - record: x\n        expr: "
                            + DeployFiles.JSON.writeValueAsString(DeployFiles.withoutGrafanaVariables(
                                    "sum by (phase (rate(faultline_attribution_seconds_count[$__rate_interval]))"))
                            + "\n");
            assertThat(DeployFiles.exec(List.of("promtool", "check", "rules", file.toString()))
                            .code())
                    .isNotZero();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String numbered(List<DeployFiles.Expr> exprs) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < exprs.size(); i++) {
            b.append("dashboard_expr_")
                    .append(i)
                    .append(": ")
                    .append(exprs.get(i).source())
                    .append('\n');
        }
        return b.toString();
    }
}
