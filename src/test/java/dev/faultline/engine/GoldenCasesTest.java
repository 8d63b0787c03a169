package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every reference case in {@code shared/golden/cases} (an independent PyTorch implementation of the same rules):
 * logits, input / position / layer relevance, bias and softmax totals within 1e-6 (float64) or 1e-3 (float32) of
 * the largest |relevance|, and the conservation identity.
 */
class GoldenCasesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, LanguageModel> MODELS = new HashMap<>();
    private static final AttributionEngine ENGINE = new AttributionEngine(4);

    @AfterAll
    static void close() {
        MODELS.values().forEach(LanguageModel::close);
        ENGINE.close();
    }

    @TestFactory
    Stream<DynamicTest> everyGoldenCaseMatches() throws IOException {
        Path cases = SharedFiles.require("golden/cases");
        List<Path> files;
        try (Stream<Path> s = Files.list(cases)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).as("reference cases in " + cases).isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
    }

    private static LanguageModel model(String name, DType dtype) {
        return MODELS.computeIfAbsent(
                name + "/" + dtype,
                k -> ModelLoader.load(
                        SharedFiles.dir().resolve("golden/models").resolve(name),
                        dtype,
                        System.getProperty("engine.test.device", "cpu")));
    }

    /**
     * The comparison can catch a swapped pair of same-shaped weights: Qwen3's per-head q and k norms, OLMo-2's
     * post-attention and post-feedforward norms. A copy of the reference model with the two tensors' names exchanged
     * must fail the comparison that the original passes.
     */
    @TestFactory
    Stream<DynamicTest> swappedNormWeightsFailTheComparison(@TempDir Path tmp) {
        return Stream.of(
                        new String[] {"tiny-qwen3", "q_norm", "k_norm"},
                        new String[] {"tiny-olmo2", "post_attention_layernorm", "post_feedforward_layernorm"},
                        new String[] {"tiny-olmo3-swa", "post_attention_layernorm", "post_feedforward_layernorm"})
                .map(s -> DynamicTest.dynamicTest(s[0] + ": " + s[1] + " <-> " + s[2], () -> {
                    Path caseFile =
                            SharedFiles.require("golden/cases").resolve(s[0] + "-len40-attnlrp-attnlrp-float64.json");
                    check(caseFile, model(s[0], DType.FLOAT64)); // the original passes
                    Path copy = SwappedTensors.copy(
                            SharedFiles.dir().resolve("golden/models").resolve(s[0]), tmp.resolve(s[0]), s[1], s[2]);
                    try (LanguageModel swapped = ModelLoader.load(copy, DType.FLOAT64, "cpu")) {
                        assertThatThrownBy(() -> check(caseFile, swapped)).isInstanceOf(AssertionError.class);
                    }
                }));
    }

    private static void check(Path file) throws IOException {
        String name = file.getFileName().toString();
        String modelName = name.substring(0, name.indexOf("-len"));
        check(file, model(modelName, DType.parse(name.substring(name.lastIndexOf('-') + 1, name.length() - 5))));
    }

    private static void check(Path file, LanguageModel model) throws IOException {
        JsonNode g = JSON.readTree(file.toFile());
        String name = file.getFileName().toString();
        String[] parts =
                name.substring(name.indexOf("-len") + 1, name.length() - 5).split("-");
        Method method = Method.parse(parts[1]);
        SoftmaxRule softmax = SoftmaxRule.parse(parts[2]);
        DType dtype = DType.parse(parts[3]);
        double tol = dtype == DType.FLOAT64 ? 1e-6 : 1e-3;

        int[] ids = ints(g.get("ids"));
        int wrong = g.get("wrong").asInt();
        int correct = g.get("correct").asInt();
        Attribution a = ENGINE.attribute(
                model,
                new AttributionRequest(ids, g.get("position").asInt(), wrong, correct, method, softmax, 0, 0L, 0.0, 5));

        double diff = g.get("logit_diff").asDouble();
        double scale = Math.max(maxAbs(doubles(g.get("input_relevance"))), Math.abs(diff));
        if (g.hasNonNull("position_relevance")) {
            scale = Math.max(scale, maxAbs(doubles(g.get("position_relevance"))));
        }
        double eps = tol * scale;
        assertThat(a.logitWrong())
                .as("logit_wrong")
                .isCloseTo(g.get("logit_wrong").asDouble(), within(tol, g.get("logit_wrong")));
        assertThat(a.logitCorrect())
                .as("logit_correct")
                .isCloseTo(g.get("logit_correct").asDouble(), within(tol, g.get("logit_correct")));
        assertThat(a.logitDiff()).as("logit_diff").isCloseTo(diff, within(tol, g.get("logit_diff")));
        assertClose("input_relevance", a.inputRelevance(), doubles(g.get("input_relevance")), eps);
        if (g.hasNonNull("position_relevance")) {
            assertClose("position_relevance", a.positionRelevance(), doubles(g.get("position_relevance")), eps);
        } else {
            assertThat(a.positionRelevance()).isNull();
        }
        JsonNode layers = g.get("layer_input_relevance");
        assertThat(a.layerInputRelevance().length).isEqualTo(layers.size() + 1);
        for (int l = 0; l < layers.size(); l++) {
            assertClose("layer_input_relevance[" + l + "]", a.layerInputRelevance()[l], doubles(layers.get(l)), eps);
        }
        assertClose(
                "final_residual_relevance",
                a.finalResidualRelevance(),
                doubles(g.get("final_residual_relevance")),
                eps);
        JsonNode bias = g.get("bias_relevance");
        assertThat(a.biasTotal())
                .as("bias total")
                .isCloseTo(bias.get("total").asDouble(), org.assertj.core.data.Offset.offset(eps));
        assertClose("bias per layer", a.biasPerLayer(), doubles(bias.get("per_layer")), eps);
        JsonNode soft = g.get("softmax");
        assertThat(a.softmaxAbsorbedTotal())
                .as("softmax absorbed")
                .isCloseTo(soft.get("absorbed_total").asDouble(), org.assertj.core.data.Offset.offset(eps));
        assertClose(
                "softmax absorbed per layer",
                a.softmaxAbsorbedPerLayer(),
                doubles(soft.get("absorbed_per_layer")),
                eps);

        if (method == Method.ATTNLRP) {
            // Δℓ = Σ input + bias (incl. positions) + softmax-absorbed, to rounding
            double idTol = dtype == DType.FLOAT64 ? 1e-9 : 1e-4;
            assertThat(Math.abs(a.identityResidual())).as("identity residual").isLessThan(idTol * scale);
            if (softmax == SoftmaxRule.DETACH) {
                double sumInput = 0;
                for (double v : a.inputRelevance()) {
                    sumInput += v;
                }
                assertThat(a.softmaxAbsorbedTotal()).isZero();
                assertThat(sumInput + a.biasTotal())
                        .as("detach conserves")
                        .isCloseTo(a.logitDiff(), org.assertj.core.data.Offset.offset(idTol * scale));
            }
        }
    }

    private static org.assertj.core.data.Offset<Double> within(double tol, JsonNode ref) {
        return org.assertj.core.data.Offset.offset(tol * Math.max(1.0, Math.abs(ref.asDouble())));
    }

    private static void assertClose(String what, double[] actual, double[] expected, double eps) {
        assertThat(actual).as(what + " length").hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i])
                    .as(what + "[" + i + "]")
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(eps));
        }
    }

    static int[] ints(JsonNode n) {
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    static double[] doubles(JsonNode n) {
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asDouble();
        }
        return out;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
