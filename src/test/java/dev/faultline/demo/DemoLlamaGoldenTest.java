package dev.faultline.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trainer's forward against an independent PyTorch implementation: the logits of the shared golden Llama models
 * (GQA with an untied head; tied embeddings) at the golden cases' target positions.
 */
class DemoLlamaGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-gqa-len9", "tiny-llama-gqa-len40"})
    void forwardReproducesTheGoldenLogits(String caseName) throws Exception {
        String shared = System.getProperty("faultline.shared.dir");
        assumeThat(shared).as("faultline.shared.dir").isNotNull();
        Path golden = Path.of(shared, "golden");
        Path casePath = golden.resolve("cases/" + caseName + "-attnlrp-attnlrp-float64.json");
        assumeThat(Files.exists(casePath))
                .as("test data golden/ is absent (faultline.shared.dir): skipped")
                .isTrue();
        JsonNode c = new ObjectMapper().readTree(casePath.toFile());
        long[] ids = Stream.of(c.get("ids"))
                .flatMap(n -> java.util.stream.StreamSupport.stream(n.spliterator(), false))
                .mapToLong(JsonNode::asLong)
                .toArray();
        int position = c.get("position").asInt();
        try (NDManager manager = NDManager.newBaseManager();
                DemoLlama model = DemoLlama.load(golden.resolve("models/tiny-llama-gqa"), manager)) {
            NDArray logits = model.forward(manager.create(ids, new Shape(1, ids.length)));
            float[] row = logits.get("0, " + position + ", :").toFloatArray();
            assertThat((double) row[c.get("wrong").asInt()])
                    .isCloseTo(c.get("logit_wrong").asDouble(), Offset.offset(1e-4));
            assertThat((double) row[c.get("correct").asInt()])
                    .isCloseTo(c.get("logit_correct").asDouble(), Offset.offset(1e-4));
        }
    }
}
