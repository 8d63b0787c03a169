package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Batched attribution equals one pass per request: inputs of mixed lengths right-padded into one pass, targets at
 * different positions, on the reference models of every family (biases per example: Qwen2, GPT-2 with its learned
 * positions; q/k norms: Qwen3, OLMo; windows: Mistral, OLMo-3; RoPE scaling) and the real TinyStories-260K, float64
 * within 1e-9 and float32 within 1e-4 of the largest |relevance|, faithfulness drops included. Padding must not leak:
 * a batch whose padding token differs gives the same results.
 */
class BatchedAttributionTest {

    private static final AttributionEngine ENGINE = new AttributionEngine(4);

    @AfterAll
    static void close() {
        ENGINE.close();
    }

    @TestFactory
    Stream<DynamicTest> batchEqualsOnePassPerRequest() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : List.of(
                "tiny-llama-gqa",
                "tiny-qwen2-bias",
                "tiny-gpt2",
                "tiny-qwen3",
                "tiny-olmo2",
                "tiny-olmo3-swa",
                "tiny-mistral-swa",
                "tiny-llama3-rope",
                "tiny-olmo3-yarn")) {
            for (DType dtype : List.of(DType.FLOAT64, DType.FLOAT32)) {
                for (SoftmaxRule softmax : List.of(SoftmaxRule.ATTNLRP, SoftmaxRule.DETACH)) {
                    tests.add(DynamicTest.dynamicTest(
                            name + " " + dtype.label() + " " + softmax.label(),
                            () -> compare(
                                    SharedFiles.require("golden/models").resolve(name),
                                    dtype,
                                    Method.ATTNLRP,
                                    softmax)));
                }
            }
        }
        tests.add(DynamicTest.dynamicTest(
                "tiny-qwen2-bias float64 gradxinput",
                () -> compare(
                        SharedFiles.require("golden/models").resolve("tiny-qwen2-bias"),
                        DType.FLOAT64,
                        Method.GRADXINPUT,
                        SoftmaxRule.ATTNLRP)));
        tests.add(DynamicTest.dynamicTest(
                "tinystories-260k float32",
                () -> compare(
                        SharedFiles.require("models/tinystories-260k"),
                        DType.FLOAT32,
                        Method.ATTNLRP,
                        SoftmaxRule.ATTNLRP)));
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> aBatchNeedsOneMethodAndFitsTheBudget() {
        return Stream.of(DynamicTest.dynamicTest("mixed methods refused", () -> {
            try (LanguageModel m =
                    ModelLoader.load(SharedFiles.require("golden/models/tiny-llama-gqa"), DType.FLOAT64, "cpu")) {
                List<AttributionRequest> rs = List.of(
                        request(new int[] {1, 2, 3}, 2, 4, 5, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0),
                        request(new int[] {1, 2, 3}, 2, 4, 5, Method.GRADXINPUT, SoftmaxRule.ATTNLRP, 0));
                assertThatThrownBy(() -> ENGINE.attributeBatch(m, rs)).hasMessageContaining("one method");
                try (AttributionEngine small = new AttributionEngine(1, ENGINE.passBytes(m, 3) * 3 / 2)) {
                    List<AttributionRequest> two = List.of(rs.get(0), rs.get(0));
                    assertThatThrownBy(() -> small.attributeBatch(m, two))
                            .isInstanceOf(InputTooLongException.class)
                            .hasMessageContaining("a batch of 2");
                    assertThat(small.attributeBatch(m, List.of(rs.get(0)))).hasSize(1);
                }
            }
        }));
    }

    private static void compare(Path dir, DType dtype, Method method, SoftmaxRule softmax) {
        try (LanguageModel m = ModelLoader.load(dir, dtype, "cpu")) {
            int vocab = m.config().vocabSize();
            Random rnd = new Random(dir.getFileName().toString().hashCode());
            List<AttributionRequest> rs = new ArrayList<>();
            int[] lengths = {9, 40, 23, 1 + rnd.nextInt(8)};
            for (int e = 0; e < lengths.length; e++) {
                int[] ids = new int[Math.min(lengths[e], m.config().maxPositions())];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = 1 + rnd.nextInt(vocab - 1);
                }
                int position = e == 1 ? ids.length / 2 : ids.length - 1; // one target inside its input
                int wrong = rnd.nextInt(vocab);
                int contrast = (wrong + 1 + rnd.nextInt(vocab - 1)) % vocab;
                rs.add(request(ids, position, wrong, contrast, method, softmax, Math.min(3, position)));
            }
            List<Attribution> batch = ENGINE.attributeBatch(m, rs);
            assertThat(batch).hasSize(rs.size());
            double tol = dtype == DType.FLOAT64 ? 1e-9 : 1e-4;
            for (int e = 0; e < rs.size(); e++) {
                Attribution one = ENGINE.attribute(m, rs.get(e));
                Attribution b = batch.get(e);
                double scale = Math.max(
                        1.0, Math.max(GoldenCasesTest.maxAbs(one.inputRelevance()), Math.abs(one.logitDiff())));
                double eps = tol * scale;
                String at = "example " + e + " (" + rs.get(e).ids().length + " tokens) ";
                assertThat(b.position()).isEqualTo(one.position());
                assertThat(b.logitDiff())
                        .as(at + "Δℓ")
                        .isCloseTo(one.logitDiff(), org.assertj.core.data.Offset.offset(eps));
                assertThat(b.contrastRank()).as(at + "rank").isEqualTo(one.contrastRank());
                close(at + "input", b.inputRelevance(), one.inputRelevance(), eps);
                if (one.positionRelevance() != null) {
                    close(at + "positions", b.positionRelevance(), one.positionRelevance(), eps);
                }
                for (int l = 0; l < one.layerInputRelevance().length; l++) {
                    close(at + "layer " + l, b.layerInputRelevance()[l], one.layerInputRelevance()[l], eps);
                }
                close(at + "bias per layer", b.biasPerLayer(), one.biasPerLayer(), eps);
                close(at + "softmax absorbed", b.softmaxAbsorbedPerLayer(), one.softmaxAbsorbedPerLayer(), eps);
                assertThat(b.identityResidual())
                        .as(at + "identity")
                        .isCloseTo(one.identityResidual(), org.assertj.core.data.Offset.offset(eps));
                if (one.faithfulness() != null) {
                    assertThat(b.faithfulness().topIndices())
                            .containsExactly(one.faithfulness().topIndices());
                    assertThat(b.faithfulness().randomIndices())
                            .containsExactly(one.faithfulness().randomIndices());
                    assertThat(b.faithfulness().dropTop())
                            .as(at + "drop top")
                            .isCloseTo(one.faithfulness().dropTop(), org.assertj.core.data.Offset.offset(eps));
                    assertThat(b.faithfulness().dropRandom())
                            .as(at + "drop random")
                            .isCloseTo(one.faithfulness().dropRandom(), org.assertj.core.data.Offset.offset(eps));
                } else {
                    assertThat(b.faithfulness()).isNull();
                }
            }
            // padding must not leak: the same batch with another padding token (a different first example) gives
            // the same results for the examples after it
            List<AttributionRequest> swapped = new ArrayList<>(rs);
            swapped.set(0, rs.get(3));
            swapped.set(3, rs.get(0));
            List<Attribution> again = ENGINE.attributeBatch(m, swapped);
            close(
                    "after swapping the padding token",
                    again.get(1).inputRelevance(),
                    batch.get(1).inputRelevance(),
                    tol * Math.max(1.0, GoldenCasesTest.maxAbs(batch.get(1).inputRelevance())));
        }
    }

    private static AttributionRequest request(
            int[] ids, int position, int wrong, int contrast, Method method, SoftmaxRule softmax, int k) {
        return new AttributionRequest(ids, position, wrong, contrast, method, softmax, k, 5L, 0.0, 5);
    }

    private static void close(String what, double[] actual, double[] expected, double eps) {
        assertThat(actual).as(what + " length").hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i])
                    .as(what + "[" + i + "]")
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(eps));
        }
    }
}
