package dev.faultline.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docker/docker-compose.yml: validates with docker-compose (when installed), its bind mounts exist, and the Prometheus
 * it starts loads the alert rules (promtool check config, when installed).
 */
class ComposeFileTest {

    static final Path COMPOSE = Path.of("docker/docker-compose.yml");

    @Test
    void composeFileValidates() {
        assumeTrue(
                DeployFiles.onPath("docker-compose"),
                "docker-compose not installed (apt-get install docker-compose; .ci/run does it): skipping its validation");
        DeployFiles.Run r = DeployFiles.exec(List.of("docker-compose", "-f", COMPOSE.toString(), "config", "-q"));
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void aBrokenComposeFileIsRejected() throws Exception {
        assumeTrue(DeployFiles.onPath("docker-compose"), "docker-compose not installed: skipping");
        Path broken = Files.createTempFile(Path.of("docker"), "broken", ".yml");
        try {
            Files.writeString(
                    broken,
                    Files.readString(COMPOSE)
                            .replace("    depends_on:\n      kafka:", "    depends_onn:\n      kafka:"));
            assertThat(DeployFiles.exec(List.of("docker-compose", "-f", broken.toString(), "config", "-q"))
                            .code())
                    .isNotZero();
        } finally {
            Files.deleteIfExists(broken);
        }
    }

    @Test
    void theFullStackIsThere() {
        JsonNode services = DeployFiles.yaml(COMPOSE).path("services");
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names).contains("kafka", "redis", "topics", "faultline", "prometheus", "grafana");
        assertThat(services.path("kafka")
                        .path("environment")
                        .path("KAFKA_PROCESS_ROLES")
                        .asText())
                .isEqualTo("broker,controller");
        assertThat(services.path("faultline")
                        .path("environment")
                        .path("KAFKA_BOOTSTRAP_SERVERS")
                        .asText())
                .isEqualTo("kafka:9092");
        assertThat(services.path("topics").path("command").toString()).contains("topics", "apply");
        assertThat(services.path("topics").path("build").path("dockerfile").asText())
                .isEqualTo("docker/Dockerfile.jvm");
    }

    @Test
    void bindMountsPointAtFilesOfTheRepository() {
        JsonNode services = DeployFiles.yaml(COMPOSE).path("services");
        int checked = 0;
        for (String service : List.of("prometheus", "grafana")) {
            for (JsonNode v : services.path(service).path("volumes")) {
                String host = v.asText().split(":")[0];
                assertThat(COMPOSE.getParent().resolve(host))
                        .as(service + " mounts " + host)
                        .exists();
                checked++;
            }
        }
        assertThat(checked).isEqualTo(4);
    }

    @Test
    void prometheusConfigLoadsTheAlertRules() throws Exception {
        assumeTrue(DeployFiles.onPath("promtool"), "promtool not installed: skipping promtool check config");
        // the container path of the rules, mapped back to the repository for promtool
        Path config = Files.createTempFile("prometheus", ".yml");
        try {
            Files.writeString(
                    config,
                    Files.readString(Path.of("docker/prometheus.yml"))
                            .replace(
                                    "/etc/prometheus/rules/",
                                    Path.of("grafana/alerts").toAbsolutePath() + "/"));
            DeployFiles.Run r = DeployFiles.exec(List.of("promtool", "check", "config", config.toString()));
            assertThat(r.code()).as(r.output()).isZero();
            assertThat(r.output())
                    .contains("SUCCESS: " + DeployFiles.ruleExprs().size() + " rules found");
        } finally {
            Files.deleteIfExists(config);
        }
    }
}
