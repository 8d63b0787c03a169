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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code faultline attribute}: single JSON output and JSONL batch mode, called directly (no Quarkus). */
class AttributeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static Path shared(String rel) {
        Path p = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"))
                .resolve(rel);
        assumeTrue(Files.exists(p), "shared test data not found at " + p + "; skipping");
        return p;
    }

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = AttributeCommand.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void idsInputPrintsOneJsonResultMatchingTheGoldenCase() throws Exception {
        Path model = shared("golden/models/tiny-llama-gqa");
        JsonNode golden = JSON.readTree(shared("golden/cases/tiny-llama-gqa-len9-attnlrp-attnlrp-float64.json")
                .toFile());
        Run r = run(
                "--model",
                model.toString(),
                "--ids",
                "43,56,13,37,45,22,62,32,57",
                "--wrong",
                "20",
                "--correct",
                "55",
                "--dtype",
                "float64",
                "--k",
                "3");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = JSON.readTree(r.out());
        assertThat(r.out().strip().lines()).hasSize(1);
        assertThat(o.get("logit_diff").asDouble())
                .isCloseTo(golden.get("logit_diff").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(o.get("input_relevance").get(8).asDouble())
                .isCloseTo(golden.get("input_relevance").get(8).asDouble(), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(o.get("conservation").get("residual").asDouble()).isLessThan(1e-9);
        assertThat(o.get("faithfulness").get("k").asInt()).isEqualTo(3);
        assertThat(o.get("engine").get("dtype").asText()).isEqualTo("float64");
    }

    @Test
    void textInputReportsTokensWithSpans() throws Exception {
        Path model = shared("models/tinystories-260k");
        Run r = run(
                "--model",
                model.toString(),
                "--text",
                "Tom and Sue went to the park. They saw a big",
                "--wrong",
                "▁friend",
                "--correct",
                " little");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = JSON.readTree(r.out());
        assertThat(o.get("tokens").get(0).get("special").asBoolean()).isTrue();
        assertThat(o.get("tokens").get(1).get("text").asText()).isEqualTo("▁T");
        assertThat(o.get("tokens").get(2).get("start").asInt()).isEqualTo(1);
        assertThat(o.get("wrong").get("text").asText()).isEqualTo(" friend");
        assertThat(o.get("correct").get("text").asText()).isEqualTo(" little");
        assertThat(o.get("top_tokens")).hasSize(10);
    }

    @Test
    void batchModeEchoesIdsAndAnswersBadLinesWithErrors() throws Exception {
        Path model = shared("golden/models/tiny-gpt2");
        Path in = tmp.resolve("requests.jsonl");
        Path out = tmp.resolve("results.jsonl");
        Files.write(
                in,
                List.of(
                        "{\"id\":\"a\",\"model\":\"" + model
                                + "\",\"ids\":[36,57,16,12,26,52,37,15,45],\"wrong\":20,\"correct\":55,\"dtype\":\"float64\"}",
                        "this is not json",
                        "{\"id\":\"c\",\"ids\":[1,2,3],\"wrong\":999}",
                        "{\"id\":\"d\",\"model\":\"" + model
                                + "\",\"ids\":[1,2,3],\"wrong\":4,\"softmax\":\"detach\",\"method\":\"gradxinput\"}"));
        Run r = run("--input", in.toString(), "--output", out.toString());
        assertThat(r.code()).isEqualTo(1);
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(4);
        JsonNode a = JSON.readTree(lines.get(0));
        assertThat(a.get("id").asText()).isEqualTo("a");
        assertThat(a.get("logit_diff").asDouble())
                .isCloseTo(10.405601050174619, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(a.get("position_relevance")).hasSize(9);
        assertThat(JSON.readTree(lines.get(1)).get("error").asText()).isNotBlank();
        JsonNode c = JSON.readTree(lines.get(2));
        assertThat(c.get("id").asText()).isEqualTo("c");
        assertThat(c.get("error").asText()).contains("model is required");
        JsonNode d = JSON.readTree(lines.get(3));
        assertThat(d.get("id").asText()).isEqualTo("d");
        assertThat(d.get("engine").get("rules").asText()).isEqualTo("gradxinput");
        assertThat(r.err()).contains("attributed 2 of 4");
    }

    @Test
    void badUsageExitsWithTwo() {
        assertThat(run("--model").code()).isEqualTo(2);
        Run r = run("--ids", "1,2");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("model is required");
    }
}
