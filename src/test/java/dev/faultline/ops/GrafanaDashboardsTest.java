package dev.faultline.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Grafana dashboards: a structural check that always runs (ids, gridPos, targets, datasource uids), and the
 * {@code @grafana/schema} type check with tsc (grafana/schema-check) when its node_modules are installed.
 */
class GrafanaDashboardsTest {

    static final Set<String> PANEL_TYPES = Set.of(
            "row",
            "timeseries",
            "stat",
            "table",
            "barchart",
            "heatmap",
            "gauge",
            "bargauge",
            "text",
            "piechart",
            "histogram");

    static String datasourceUid() {
        JsonNode ds = DeployFiles.yaml(Path.of("grafana/provisioning/datasources/faultline.yaml"))
                .path("datasources")
                .get(0);
        assertThat(ds.path("type").asText()).isEqualTo("prometheus");
        return ds.path("uid").asText();
    }

    @Test
    void dashboardsHaveUniqueUidsAndTitles() {
        Set<String> uids = new HashSet<>();
        Set<String> titles = new HashSet<>();
        assertThat(DeployFiles.dashboards()).hasSize(3);
        for (Path f : DeployFiles.dashboards()) {
            JsonNode d = DeployFiles.json(f);
            assertThat(uids.add(d.path("uid").asText())).as(f + " uid").isTrue();
            assertThat(titles.add(d.path("title").asText())).as(f + " title").isTrue();
            assertThat(d.path("uid").asText()).as(f + " uid").matches("[a-zA-Z0-9_-]{1,40}");
            assertThat(d.path("schemaVersion").asInt()).as(f + " schemaVersion").isGreaterThanOrEqualTo(36);
            assertThat(d.path("panels").isArray()).as(f + " panels").isTrue();
        }
    }

    @Test
    void panelsAreWellFormed() {
        String uid = datasourceUid();
        for (Path f : DeployFiles.dashboards()) {
            Set<Integer> ids = new HashSet<>();
            for (JsonNode p : DeployFiles.panels(DeployFiles.json(f))) {
                String where = f.getFileName() + " panel " + p.path("id") + " \""
                        + p.path("title").asText() + "\"";
                assertThat(p.path("id").isInt()).as(where + " id").isTrue();
                assertThat(ids.add(p.path("id").asInt()))
                        .as(where + " unique id")
                        .isTrue();
                assertThat(PANEL_TYPES)
                        .as(where + " type")
                        .contains(p.path("type").asText());
                assertThat(p.path("title").asText()).as(where + " title").isNotBlank();
                JsonNode g = p.path("gridPos");
                for (String k : List.of("h", "w", "x", "y")) {
                    assertThat(g.path(k).isInt()).as(where + " gridPos." + k).isTrue();
                }
                assertThat(g.path("x").asInt() + g.path("w").asInt())
                        .as(where + " fits 24 columns")
                        .isLessThanOrEqualTo(24);
                assertThat(g.path("w").asInt()).as(where + " width").isPositive();
                if (p.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(p.path("datasource").path("uid").asText())
                        .as(where + " datasource")
                        .isEqualTo(uid);
                assertThat(p.path("targets").size()).as(where + " targets").isPositive();
                Set<String> refIds = new HashSet<>();
                for (JsonNode t : p.path("targets")) {
                    assertThat(refIds.add(t.path("refId").asText()))
                            .as(where + " unique refId")
                            .isTrue();
                    assertThat(t.path("expr").asText()).as(where + " expr").isNotBlank();
                    assertThat(t.path("datasource").path("uid").asText())
                            .as(where + " target datasource")
                            .isEqualTo(uid);
                }
            }
        }
    }

    @Test
    void panelsDoNotOverlap() {
        for (Path f : DeployFiles.dashboards()) {
            List<JsonNode> panels = DeployFiles.panels(DeployFiles.json(f));
            for (int i = 0; i < panels.size(); i++) {
                for (int j = i + 1; j < panels.size(); j++) {
                    JsonNode a = panels.get(i).path("gridPos");
                    JsonNode b = panels.get(j).path("gridPos");
                    boolean overlap = a.path("x").asInt()
                                    < b.path("x").asInt() + b.path("w").asInt()
                            && b.path("x").asInt()
                                    < a.path("x").asInt() + a.path("w").asInt()
                            && a.path("y").asInt()
                                    < b.path("y").asInt() + b.path("h").asInt()
                            && b.path("y").asInt()
                                    < a.path("y").asInt() + a.path("h").asInt();
                    assertThat(overlap)
                            .as(f.getFileName() + ": panels " + panels.get(i).path("id") + " and "
                                    + panels.get(j).path("id") + " overlap")
                            .isFalse();
                }
            }
        }
    }

    @Test
    void recordedSeriesUsedByDashboardsAreDefinedByTheRules() {
        Set<String> recorded = DeployFiles.recordedNames();
        for (DeployFiles.Expr e : DeployFiles.dashboardExprs()) {
            for (String name : DeployFiles.metricNames(e.expr())) {
                if (name.contains(":")) {
                    assertThat(recorded).as(e.source() + " uses " + name).contains(name);
                }
            }
        }
    }

    @Test
    void provisioningPointsAtTheMountedDashboards() {
        JsonNode provider = DeployFiles.yaml(Path.of("grafana/provisioning/dashboards/faultline.yaml"))
                .path("providers")
                .get(0);
        assertThat(provider.path("type").asText()).isEqualTo("file");
        assertThat(provider.path("options").path("path").asText()).isEqualTo("/var/lib/grafana/dashboards/faultline");
    }

    @Test
    void dashboardsTypeCheckAgainstGrafanaSchema() {
        Path dir = Path.of("grafana/schema-check");
        assumeTrue(
                Files.isDirectory(dir.resolve("node_modules/@grafana/schema")) && DeployFiles.onPath("npm"),
                "grafana/schema-check/node_modules missing (npm ci --prefix grafana/schema-check; .ci/run does it):"
                        + " skipping the @grafana/schema type check");
        DeployFiles.Run r = DeployFiles.exec(List.of("npm", "--prefix", dir.toString(), "run", "-s", "check"));
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).contains("checking 3 dashboards");
    }
}
