package dev.faultline.engine.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.engine.DType;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.model.HfLanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Graphs on the reference models of {@code shared/golden} (Hugging Face layout; an independent PyTorch
 * implementation of the rules made the cases): the graph's global pass gives the node relevance the reference gives
 * at every layer input and at the final norm, and every attention row in closed form equals one backward pass over
 * the repeated input, including the biased blocks of Qwen2 and GPT-2, under the rules and under gradient×input.
 */
class GoldenGraphTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path golden() {
        Path p = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"))
                .resolve("golden");
        assumeTrue(Files.isDirectory(p.resolve("cases")), "shared reference cases not found at " + p + "; skipping");
        return p;
    }

    @ParameterizedTest(name = "{0}-len{1}-{2}-{3}")
    @CsvSource({
        "tiny-llama-gqa, 40, attnlrp, attnlrp",
        "tiny-llama-gqa, 40, attnlrp, detach",
        "tiny-qwen2-bias, 40, attnlrp, attnlrp",
        "tiny-qwen2-bias, 40, attnlrp, detach",
        "tiny-gpt2, 40, attnlrp, attnlrp",
        "tiny-gpt2, 40, attnlrp, detach",
        "tiny-qwen2-bias, 9, attnlrp, attnlrp",
        "tiny-gpt2, 9, attnlrp, attnlrp",
        "tiny-llama-gqa, 40, gradxinput, attnlrp",
        "tiny-qwen2-bias, 40, gradxinput, attnlrp",
        "tiny-gpt2, 40, gradxinput, attnlrp"
    })
    void nodeRelevanceMatchesTheReferenceAndClosedFormRowsTheBackwardPass(
            String model, int len, String method, String softmax) throws IOException {
        Path dir = golden();
        JsonNode g = JSON.readTree(dir.resolve("cases")
                .resolve(model + "-len" + len + "-" + method + "-" + softmax + "-float64.json")
                .toFile());
        boolean rules = Method.parse(method) == Method.ATTNLRP;
        int[] ids = ints(g.get("ids"));
        assertThat(ids).hasSize(len);
        GraphRequest r = new GraphRequest(
                ids,
                g.get("position").asInt(),
                g.get("wrong").asInt(),
                g.get("correct").asInt(),
                Method.parse(method),
                SoftmaxRule.parse(softmax),
                0,
                0.85,
                8,
                1 << 24);
        try (LanguageModel m = ModelLoader.load(dir.resolve("models").resolve(model), DType.FLOAT64, "cpu");
                GraphBuilder b = new GraphBuilder(HfLanguageModel.of(m), r)) {
            while (b.progress().phase().equals("global")) {
                b.step();
            }
            double diff = g.get("logit_diff").asDouble();
            assertThat(b.logitDiff()).as("logit diff").isCloseTo(diff, offset(1e-9 * Math.abs(diff)));
            int layers = m.config().numLayers();
            JsonNode perLayer = g.get("layer_input_relevance");
            assertThat(perLayer.size()).isEqualTo(layers);
            double scale = Math.abs(diff);
            for (JsonNode row : perLayer) {
                scale = Math.max(scale, maxAbs(doubles(row)));
            }
            for (int l = 0; l <= layers; l++) {
                double[] ref = doubles(l < layers ? perLayer.get(l) : g.get("final_residual_relevance"));
                double[] mine = b.relevance(2 * l);
                for (int j = 0; j < len; j++) {
                    assertThat(mine[j])
                            .as("%s node layer %d, token %d", model, 2 * l, j)
                            .isCloseTo(ref[j], offset(1e-9 * scale));
                }
            }
            HfLanguageModel hm = HfLanguageModel.of(m);
            int position = g.get("position").asInt(); // later rows see no gradient: zero either way
            int[] all = java.util.stream.IntStream.rangeClosed(0, position).toArray();
            for (int l = 0; l < layers; l++) {
                assertThat(hm.transformer().rows().edgeRowsClosedForm(l)).isTrue();
                assertThat(hm.transformer().rows().attentionHasConstantTerms(l))
                        .as("%s has biases", model)
                        .isEqualTo(!model.equals("tiny-llama-gqa"));
                double[][] closed = new double[(all.length + 7) / 8][];
                double[][] repeated = new double[closed.length][];
                double layerScale = 0;
                for (int from = 0; from < all.length; from += 8) { // 8 rows a pass, each row by its own offset
                    int[] rs = Arrays.copyOfRange(all, from, Math.min(all.length, from + 8));
                    closed[from / 8] = b.attentionRowsClosedForm(l, rs);
                    repeated[from / 8] = b.attentionRowsRepeated(l, rs);
                    layerScale = Math.max(layerScale, maxAbs(repeated[from / 8]));
                }
                // the last layer's rows are 0 but at the target position (only it reaches the head)
                assertThat(layerScale).as("%s layer %d has rows", model, l).isPositive();
                for (int p = 0; p < closed.length; p++) {
                    assertThat(closed[p]).hasSameSizeAs(repeated[p]);
                    for (int i = 0; i < closed[p].length; i++) {
                        assertThat(closed[p][i])
                                .as("%s layer %d pass %d [%d]", model, l, p, i)
                                .isCloseTo(repeated[p][i], offset(1e-10 * layerScale));
                    }
                }
            }
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
