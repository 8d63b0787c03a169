package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.types.DataType;
import dev.faultline.engine.model.HfLanguageModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen3, OLMo-2, OLMo-3 (sliding windows), BF16/F16 and sharded checkpoints, made in the test with random weights:
 * they load, attribute, and conserve (the identity, and exact conservation with the softmax detached).
 */
class ArchitecturesTest {

    private static final AttributionEngine ENGINE = new AttributionEngine(2);
    private static final int[] IDS = {3, 17, 8, 41, 22, 5, 30, 12, 9, 44, 1, 27};

    @TempDir
    Path tmp;

    @AfterAll
    static void close() {
        ENGINE.close();
    }

    static void assertConserves(LanguageModel m, int[] ids) {
        Attribution a = ENGINE.attribute(
                m, new AttributionRequest(ids, -1, 4, 7, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 3, 1L, 0.0, 5));
        double scale = Math.max(1.0, Math.abs(a.logitDiff()));
        assertThat(a.identityResidual()).as("identity residual").isCloseTo(0.0, within(1e-9 * scale));
        assertThat(a.softmaxAbsorbedTotal())
                .as("the softmax rule absorbs something")
                .isNotZero();
        assertThat(a.layerInputRelevance()).hasNumberOfRows(m.config().numLayers() + 1);
        Attribution d = ENGINE.attribute(
                m, new AttributionRequest(ids, -1, 4, 7, Method.ATTNLRP, SoftmaxRule.DETACH, 0, 1L, 0.0, 5));
        double sum = 0;
        for (double v : d.inputRelevance()) {
            sum += v;
        }
        assertThat(d.softmaxAbsorbedTotal()).isZero();
        assertThat(sum + d.biasTotal()).as("detach conserves exactly").isCloseTo(d.logitDiff(), within(1e-9 * scale));
        // every layer boundary conserves too
        for (double[] row : d.layerInputRelevance()) {
            double s = 0;
            for (double v : row) {
                s += v;
            }
            assertThat(s).isCloseTo(d.logitDiff(), within(1e-9 * scale));
        }
    }

    @Test
    void qwen3WithPerHeadQkNormConserves() {
        Path dir = RandomCheckpoint.llamaLike("qwen3", 2).write(tmp.resolve("qwen3"));
        try (LanguageModel m = ModelLoader.load(dir, DType.FLOAT64, "cpu")) {
            assertThat(((HfLanguageModel) m).hfConfig().family())
                    .isEqualTo(dev.faultline.engine.model.HfConfig.Family.QWEN3);
            assertConserves(m, IDS);
        }
    }

    @Test
    void olmo2PostNormWithFullWidthQkNormConserves() {
        Path dir = RandomCheckpoint.llamaLike("olmo2", 2).write(tmp.resolve("olmo2"));
        try (LanguageModel m = ModelLoader.load(dir, DType.FLOAT64, "cpu")) {
            assertConserves(m, IDS);
        }
    }

    @Test
    void olmo3SlidingWindowLayersSeeOnlyTheirWindow() {
        // 2 sliding layers with window 3: position 11 sees back 2 tokens per layer, so not token 0..6
        Path sliding = RandomCheckpoint.llamaLike("olmo3", 2)
                .set("sliding_window", 3)
                .set("layer_types", List.of("sliding_attention", "sliding_attention"))
                .write(tmp.resolve("olmo3s"));
        Path full = RandomCheckpoint.llamaLike("olmo3", 2)
                .set("sliding_window", 3)
                .set("layer_types", List.of("sliding_attention", "full_attention"))
                .write(tmp.resolve("olmo3f"));
        int[] changed = IDS.clone();
        changed[2] = 40;
        try (LanguageModel s = ModelLoader.load(sliding, DType.FLOAT64, "cpu");
                LanguageModel f = ModelLoader.load(full, DType.FLOAT64, "cpu")) {
            assertThat(ENGINE.logitsAt(s, changed, -1)).containsExactly(ENGINE.logitsAt(s, IDS, -1));
            assertThat(ENGINE.logitsAt(f, changed, -1)).doesNotContain(ENGINE.logitsAt(f, IDS, -1)[0]);
            assertConserves(s, IDS);
            assertConserves(f, IDS);
            Attribution a = ENGINE.attribute(s, AttributionRequest.contrastive(IDS, 4, 7));
            for (int i = 0; i < 7; i++) {
                assertThat(a.inputRelevance()[i]).as("outside every window").isZero();
            }
        }
    }

    @Test
    void bf16CheckpointIsWidenedExactly() {
        Path f32 = RandomCheckpoint.llamaLike("llama", 2).seed(11).write(tmp.resolve("f32"));
        Path bf16 = RandomCheckpoint.llamaLike("llama", 2)
                .seed(11)
                .storeAs(DataType.BFLOAT16)
                .write(tmp.resolve("bf16"));
        try (HfLanguageModel a = (HfLanguageModel) ModelLoader.load(f32, DType.FLOAT32, "cpu");
                HfLanguageModel b = (HfLanguageModel) ModelLoader.load(bf16, DType.FLOAT32, "cpu")) {
            float[] ref = a.transformer().weights().embed().toFloatArray();
            float[] got = b.transformer().weights().embed().toFloatArray();
            assertThat(got).hasSameSizeAs(ref);
            for (int i = 0; i < ref.length; i++) {
                assertThat(got[i]).isEqualTo(RandomCheckpoint.bf16Round(ref[i]));
            }
            assertThat(got).isNotEqualTo(ref);
        }
        try (LanguageModel m = ModelLoader.load(bf16, DType.FLOAT64, "cpu")) {
            assertThat(m.dtype()).isEqualTo(DType.FLOAT64);
            assertConserves(m, IDS);
        }
    }

    @Test
    void shardedCheckpointEqualsSingleFile() {
        Path one = RandomCheckpoint.llamaLike("llama", 2).seed(5).write(tmp.resolve("one"));
        Path three = RandomCheckpoint.llamaLike("llama", 2).seed(5).shards(3).write(tmp.resolve("three"));
        try (LanguageModel a = ModelLoader.load(one, DType.FLOAT64, "cpu");
                LanguageModel b = ModelLoader.load(three, DType.FLOAT64, "cpu")) {
            assertThat(ENGINE.logitsAt(b, IDS, -1)).containsExactly(ENGINE.logitsAt(a, IDS, -1));
        }
    }

    @Test
    void float32AndFloat64Agree() {
        Path dir = RandomCheckpoint.llamaLike("qwen3", 2).write(tmp.resolve("q"));
        try (LanguageModel a = ModelLoader.load(dir, DType.FLOAT32, "cpu");
                LanguageModel b = ModelLoader.load(dir, DType.FLOAT64, "cpu")) {
            Attribution x = ENGINE.attribute(a, AttributionRequest.contrastive(IDS, 4, 7));
            Attribution y = ENGINE.attribute(b, AttributionRequest.contrastive(IDS, 4, 7));
            assertThat(x.dtype()).isEqualTo(DType.FLOAT32);
            double scale = GoldenCasesTest.maxAbs(y.inputRelevance());
            for (int i = 0; i < IDS.length; i++) {
                assertThat(x.inputRelevance()[i]).isCloseTo(y.inputRelevance()[i], within(1e-3 * scale));
            }
        }
    }
}
