package dev.faultline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code faultline attribute --graph}: the attribution JSON gains the graph object. */
class AttributeGraphCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path model() {
        Path p = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"))
                .resolve("golden/models/tiny-llama-gqa");
        assumeTrue(Files.exists(p), "shared test model not found at " + p + "; skipping");
        return p;
    }

    private static int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        return AttributeCommand.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void graphFlagAddsNodesEdgesPruningAndMetrics() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = run(
                out,
                err,
                "--model",
                model().toString(),
                "--ids",
                "43,56,13,37,45,22,62,32,57",
                "--wrong",
                "20",
                "--correct",
                "55",
                "--dtype",
                "float64",
                "--k",
                "0",
                "--graph",
                "--node-threshold",
                "0",
                "--edge-mass",
                "0.9");
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        JsonNode o = JSON.readTree(out.toString(StandardCharsets.UTF_8));
        JsonNode g = o.get("graph");
        assertThat(g).isNotNull();
        assertThat(g.get("nodes").size()).isPositive();
        assertThat(g.get("edges").size()).isPositive();
        assertThat(g.get("pruning").size()).isEqualTo(4); // 2 layers x (attention, mlp)
        JsonNode target = g.get("nodes").get(g.get("nodes").size() - 1);
        assertThat(target.get("id").asText()).isEqualTo("2:input:8");
        assertThat(target.get("stage").asText()).isEqualTo("input");
        for (JsonNode p : g.get("pruning")) {
            assertThat(p.get("kept_mass").asDouble()).isGreaterThanOrEqualTo(0.9 - 1e-12);
            assertThat(p.get("stage").asText()).isIn("input", "post_attention");
        }
        assertThat(g.get("metrics").get("edge_mass").asDouble()).isEqualTo(0.9);
        assertThat(g.get("metrics").get("logit_diff").asDouble())
                .isCloseTo(o.get("logit_diff").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
        JsonNode e = g.get("edges").get(0);
        assertThat(e.has("source") && e.has("target") && e.has("weight")).isTrue();
    }

    @Test
    void withoutTheFlagThereIsNoGraphAndBadEdgeMassIsAUsageError() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = run(
                out,
                new ByteArrayOutputStream(),
                "--model",
                model().toString(),
                "--ids",
                "43,56,13",
                "--wrong",
                "20",
                "--correct",
                "55",
                "--k",
                "0");
        assertThat(code).isZero();
        assertThat(JSON.readTree(out.toString(StandardCharsets.UTF_8)).has("graph"))
                .isFalse();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        code = run(
                new ByteArrayOutputStream(),
                err,
                "--model",
                model().toString(),
                "--ids",
                "43,56,13",
                "--wrong",
                "20",
                "--correct",
                "55",
                "--k",
                "0",
                "--graph",
                "--edge-mass",
                "1.5");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("edge-mass");
    }
}
